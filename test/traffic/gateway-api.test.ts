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
