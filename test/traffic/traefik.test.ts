import { describe, expect, it } from '@jest/globals';
import { changedLines, filesOf, providerFor, setWeightOn, thrown, trafficFixture } from './helpers.js';

const FILE = 'apps/api/traefik.yaml';
const provider = providerFor({ provider: 'traefik', file: FILE, stable: 'api-stable', canary: 'api-canary' });
const before = trafficFixture('traefik.yaml');
const files = filesOf({ [FILE]: before });

describe('traefik TraefikService', () => {
  it('reads relative weights as a percentage (3:1 is 25%)', () => {
    expect(provider.readWeight(files)).toBe(25);
  });

  it.each([
    [0, 100],
    [10, 90],
    [50, 50],
    [100, 0],
  ])('sets %i%% on spec.weighted.services and leaves the IngressRoute alone', (weight, stable) => {
    expect(changedLines(before, setWeightOn(provider, FILE, before, weight))).toEqual([
      '-        weight: 3   # relative weights',
      `+        weight: ${stable}   # relative weights`,
      '-        weight: 1',
      `+        weight: ${weight}`,
    ]);
  });

  it('refuses a third weighted service that takes traffic, rather than show 1/1/1 as 50%', () => {
    const text = before
      .replace('        weight: 3   # relative weights\n', '')
      .replace('        weight: 1\n', '')
      .replace('    sticky:', '      - name: api-legacy\n        port: 80\n    sticky:');
    const error = thrown(() => provider.readWeight(filesOf({ [FILE]: text })));
    expect(error.code).toBe('other-backend');
    expect(error.message).toBe(
      `${FILE}:12:9: spec.weighted.services[2]: spec.weighted.services of TraefikService api-weighted also sends traffic to "api-legacy" (weight 1, the default); OpsBox moves traffic only between "api-stable" and "api-canary", so the canary's share would be wrong. Set the weight of the other weighted services to 0, or move them out of this weighted service list.`,
    );
    expect(thrown(() => provider.setWeight(filesOf({ [FILE]: text }), 100)).code).toBe('other-backend');
  });

  it('lists the weighted services it found', () => {
    const typo = providerFor({ provider: 'traefik', file: FILE, stable: 'api-stable', canary: 'api-next' });
    const error = thrown(() => typo.readWeight(files));
    expect(error.code).toBe('backend-not-found');
    expect(error.message).toBe(
      `${FILE}: TraefikService api-weighted: no weighted service "api-next"; found: api-stable, api-canary. Fix traffic.stable / traffic.canary or the TraefikService.`,
    );
  });
});
