import { describe, expect, it } from '@jest/globals';
import { changedLines, filesOf, providerFor, setWeightOn, thrown, trafficFixture } from './helpers.js';

const FILE = 'apps/api/httproute.yaml';
const backends = { provider: 'gateway-api', file: FILE, stable: 'api-stable', canary: 'api-canary' };
const provider = providerFor(backends);
const before = trafficFixture('gateway-httproute.yaml');
const files = filesOf({ [FILE]: before });

describe('gateway-api HTTPRoute', () => {
  it('reads the canary weight of the rule that has both backendRefs', () => {
    expect(provider.readWeight(files)).toBe(10);
  });

  it.each([
    [0, 100, 0],
    [50, 50, 50],
    [100, 0, 100],
  ])('sets %i%% on the split rule only, leaving filters and the health-check rule alone', (weight, stable, canary) => {
    expect(changedLines(before, setWeightOn(provider, FILE, before, weight))).toEqual([
      '-          weight: 90',
      `+          weight: ${stable}`,
      '-          weight: 10 # canary share',
      `+          weight: ${canary} # canary share`,
    ]);
  });

  it('returns no files at the current weight', () => {
    expect(provider.setWeight(files, 10).size).toBe(0);
  });

  it('treats a backendRef without weight as weight 1 and adds the weights', () => {
    const text = before.replace('          weight: 90\n', '').replace('          weight: 10 # canary share\n', '');
    expect(provider.readWeight(filesOf({ [FILE]: text }))).toBe(50);
    const after = setWeightOn(provider, FILE, text, 10);
    expect(changedLines(text, after)).toEqual(['+          weight: 90', '+          weight: 10']);
    expect(after).toBe(before.replace(' # canary share', ''));
  });

  it('refuses a rule whose third backendRef carries weight instead of promoting to 100/0 with it left over', () => {
    const text = before.replace('          weight: 10 # canary share\n', '          weight: 10 # canary share\n        - name: api-legacy\n          port: 8080\n          weight: 5\n');
    const error = thrown(() => provider.setWeight(filesOf({ [FILE]: text }), 100));
    expect(error.code).toBe('other-backend');
    expect(error.message).toContain(`${FILE}:28:19: spec.rules[0].backendRefs[2].weight: rules[0] of HTTPRoute api also sends traffic to "api-legacy" (weight 5);`);
    expect(error.message).toContain('Set the weight of the other backendRefs to 0, or move them out of this rule.');
  });

  it('lists the backendRefs it found', () => {
    const typo = providerFor({ ...backends, stable: 'api-main' });
    const error = thrown(() => typo.readWeight(files));
    expect(error.code).toBe('backend-not-found');
    expect(error.message).toBe(
      `${FILE}: HTTPRoute api: no backendRef "api-main"; found: api-stable, api-canary. Fix traffic.stable / traffic.canary or the HTTPRoute.`,
    );
  });

  it('checks the name of the HTTPRoute when given', () => {
    expect(providerFor({ ...backends, name: 'api' }).readWeight(files)).toBe(10);
    expect(thrown(() => providerFor({ ...backends, name: 'web' }).readWeight(files)).code).toBe('document-not-found');
  });
});
