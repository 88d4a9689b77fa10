import { describe, expect, it } from '@jest/globals';
import { changedLines, filesOf, providerFor, setWeightOn, thrown, trafficFixture } from './helpers.js';

const FILE = 'apps/api/trafficsplit.yaml';
const provider = providerFor({ provider: 'smi', file: FILE, name: 'api', stable: 'api-stable', canary: 'api-canary' });
const before = trafficFixture('smi-trafficsplit.yaml');
const files = filesOf({ [FILE]: before });

describe('smi TrafficSplit', () => {
  it('reads 0 before a rollout', () => {
    expect(provider.readWeight(files)).toBe(0);
  });

  it.each([
    [10, 90],
    [50, 50],
    [100, 0],
  ])('sets %i%% on spec.backends', (weight, stable) => {
    const after = setWeightOn(provider, FILE, before, weight);
    // asserted as whole text: at 100% the diff may pair the swapped values differently
    expect(after).toBe(
      before.replace('    weight: 100\n  - service: api-canary\n    weight: 0\n', `    weight: ${stable}\n  - service: api-canary\n    weight: ${weight}\n`),
    );
    if (weight !== 100) expect(changedLines(before, after)).toEqual(['-    weight: 100', `+    weight: ${stable}`, '-    weight: 0', `+    weight: ${weight}`]);
  });

  it('returns no files at the current weight', () => {
    expect(provider.setWeight(files, 0).size).toBe(0);
  });

  it('reads and writes weights written as strings, keeping the quotes (Argo Rollouts\' TrafficSplit example)', () => {
    const quoted = before.replace('weight: 100', 'weight: "100"').replace('weight: 0', 'weight: "0"');
    expect(provider.readWeight(filesOf({ [FILE]: quoted }))).toBe(0);
    expect(changedLines(quoted, setWeightOn(provider, FILE, quoted, 10))).toEqual(['-    weight: "100"', '+    weight: "90"', '-    weight: "0"', '+    weight: "10"']);
  });

  it('refuses a backend outside stable and canary that carries traffic, naming it', () => {
    const third = `${before}  - service: api-legacy\n    weight: 5\n`;
    const error = thrown(() => provider.readWeight(filesOf({ [FILE]: third })));
    expect(error.code).toBe('other-backend');
    expect(error.message).toContain('spec.backends of TrafficSplit api also sends traffic to "api-legacy" (weight 5)');
    // at weight 0 it stays where it is
    const idle = `${before}  - service: api-legacy\n    weight: 0\n`;
    expect(changedLines(idle, setWeightOn(provider, FILE, idle, 50))).toEqual(['-    weight: 100', '+    weight: 50', '-    weight: 0', '+    weight: 50']);
  });

  it('lists the backend services it found', () => {
    const typo = providerFor({ provider: 'smi', file: FILE, stable: 'api-v1', canary: 'api-v2' });
    const error = thrown(() => typo.setWeight(files, 10));
    expect(error.code).toBe('backend-not-found');
    expect(error.message).toBe(
      `${FILE}: TrafficSplit api: no backend "api-v1" or "api-v2"; found: api-stable, api-canary. Fix traffic.stable / traffic.canary or the TrafficSplit.`,
    );
  });

  it('reports a file without a TrafficSplit', () => {
    const error = thrown(() => provider.readWeight(filesOf({ [FILE]: 'apiVersion: v1\nkind: Service\nmetadata: {name: api}\n' })));
    expect(error.code).toBe('document-not-found');
    expect(error.message).toBe(`${FILE}: no TrafficSplit named "api" ("api" is a Service); found: Service api. Fix the name or the file.`);
  });
});
