import { describe, expect, it } from '@jest/globals';
import { changedLines, filesOf, providerFor, setWeightOn, thrown, trafficFixture } from './helpers.js';

const FILE = 'charts/router/values.yaml';
const before = trafficFixture('router-values.yaml');
const files = filesOf({ [FILE]: before });
const both = providerFor({ provider: 'yaml-path', file: FILE, canaryPath: 'router.routes[0].weights.canary', stablePath: 'router.routes[0].weights.stable' });

describe('yaml-path', () => {
  it('reads a weight kept as a string', () => {
    expect(both.readWeight(files)).toBe(0);
  });

  it.each([10, 50, 100])('sets %i%% on the canary path and the rest on the stable path, keeping each style', (weight) => {
    expect(changedLines(before, setWeightOn(both, FILE, before, weight))).toEqual([
      '-        stable: 100 # percent',
      '-        canary: "0"',
      `+        stable: ${100 - weight} # percent`,
      `+        canary: "${weight}"`,
    ]);
  });

  it('sets only the canary path when there is no stable path', () => {
    const canaryOnly = providerFor({ provider: 'yaml-path', file: FILE, canaryPath: 'router.routes[1].weights.canary' });
    expect(changedLines(before, setWeightOn(canaryOnly, FILE, before, 10))).toEqual(['-      weights: {stable: 100, canary: 0}', '+      weights: {stable: 100, canary: 10}']);
    expect(canaryOnly.setWeight(files, 0).size).toBe(0);
  });

  it('refuses weights that do not add up to 100', () => {
    const error = thrown(() => both.readWeight(filesOf({ [FILE]: before.replace('stable: 100 #', 'stable: 90 #') })));
    expect(error.code).toBe('inconsistent-weights');
    expect(error.message).toBe(
      `${FILE}: document 1: router.routes[0].weights.canary is 0 and router.routes[0].weights.stable is 90; they must add up to 100.`,
    );
  });

  it('reports a path that does not exist, with the keys that do', () => {
    const typo = providerFor({ provider: 'yaml-path', file: FILE, canaryPath: 'router.routes[0].weight.canary' });
    const error = thrown(() => typo.setWeight(files, 10));
    expect(error.code).toBe('path-not-found');
    expect(error.message).toBe(
      `${FILE}:4:7: router.routes[0].weight.canary: document 1 has no key "weight" in router.routes[0]; found: name, weights. Check the path to the weight.`,
    );
  });

  it('selects the document by name', () => {
    const text = `${before}---\nkind: ConfigMap\nmetadata: {name: router-weights}\ndata:\n  canary: "5"\n`;
    const named = providerFor({ provider: 'yaml-path', file: FILE, name: 'router-weights', canaryPath: 'data.canary' });
    expect(named.readWeight(filesOf({ [FILE]: text }))).toBe(5);
    expect(changedLines(text, setWeightOn(named, FILE, text, 50))).toEqual(['-  canary: "5"', '+  canary: "50"']);
  });

  it('rejects a value above 100', () => {
    const error = thrown(() => both.readWeight(filesOf({ [FILE]: before.replace('canary: "0"', 'canary: "250"') })));
    expect(error.code).toBe('invalid-weight');
  });
});
