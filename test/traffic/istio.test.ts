import { describe, expect, it } from '@jest/globals';
import { TrafficError } from '../../src/traffic/errors.js';
import { changedLines, filesOf, providerFor, setWeightOn, thrown, toCrlf, trafficFixture } from './helpers.js';

const FILE = 'apps/api/virtualservice.yaml';
const provider = providerFor({ provider: 'istio', file: FILE, name: 'api', stable: 'api-stable', canary: 'api-canary' });
const before = trafficFixture('istio-virtualservice.yaml');
const files = filesOf({ [FILE]: before });

describe('istio VirtualService', () => {
  it('reads the split of every route that has both destinations', () => {
    expect(provider.name).toBe('istio');
    expect(provider.files).toEqual([FILE]);
    expect(provider.readWeight(files)).toBe(0);
  });

  it('sets 10% on the header-match route and the default route (with mirror), and nothing else', () => {
    expect([...provider.setWeight(files, 10).keys()]).toEqual([FILE]);
    expect(changedLines(before, setWeightOn(provider, FILE, before, 10))).toEqual([
      '-          weight: 100',
      '+          weight: 90',
      '-          weight: 0   # moved by OpsBox',
      '+          weight: 10   # moved by OpsBox',
      '-          weight: 100',
      '+          weight: 90',
      '-          weight: 0',
      '+          weight: 10',
    ]);
  });

  it.each([
    [50, '50', '50'],
    [100, '0', '100'],
  ])('sets %i%%', (weight, stable, canary) => {
    expect(changedLines(before, setWeightOn(provider, FILE, before, weight))).toEqual([
      '-          weight: 100',
      `+          weight: ${stable}`,
      '-          weight: 0   # moved by OpsBox',
      `+          weight: ${canary}   # moved by OpsBox`,
      '-          weight: 100',
      `+          weight: ${stable}`,
      '-          weight: 0',
      `+          weight: ${canary}`,
    ]);
  });

  it('returns no files when the weight is already set', () => {
    expect(provider.setWeight(files, 0).size).toBe(0);
    const atFifty = provider.setWeight(files, 50).get(FILE)!;
    expect(provider.setWeight(filesOf({ [FILE]: atFifty }), 50).size).toBe(0);
  });

  it('goes back to 0', () => {
    const atFifty = provider.setWeight(files, 50).get(FILE)!;
    expect(provider.setWeight(filesOf({ [FILE]: atFifty }), 0).get(FILE)).toBe(before);
  });

  it('selects the VirtualService by name, editing flow-style routes in place', () => {
    const web = providerFor({ provider: 'istio', file: FILE, name: 'web', stable: 'web-stable', canary: 'web-canary' });
    const after = web.setWeight(files, 10).get(FILE)!;
    expect(changedLines(before, after)).toEqual([
      '-        - {destination: {host: web-stable}, weight: 100}',
      '-        - {destination: {host: web-canary}, weight: 0}',
      '+        - {destination: {host: web-stable}, weight: 90}',
      '+        - {destination: {host: web-canary}, weight: 10}',
    ]);
  });

  it('needs `name` when the file has several VirtualServices', () => {
    const unnamed = providerFor({ provider: 'istio', file: FILE, stable: 'api-stable', canary: 'api-canary' });
    const error = thrown(() => unnamed.readWeight(files));
    expect(error.code).toBe('ambiguous');
    expect(error.message).toBe(`${FILE}: 2 VirtualService documents (api, web); set \`name\` to the metadata.name of the one to use.`);
  });

  it('names the object and the destinations it found when a backend is missing', () => {
    const typo = providerFor({ provider: 'istio', file: FILE, name: 'api', stable: 'api-stable', canary: 'api-canry' });
    const error = thrown(() => typo.setWeight(files, 10));
    expect(error).toBeInstanceOf(TrafficError);
    expect(error.code).toBe('backend-not-found');
    expect(error.message).toBe(
      `${FILE}: VirtualService api: no route destination "api-canry"; found: api-stable, api-canary, api-stable.shop.svc.cluster.local, api-canary.shop.svc.cluster.local. Fix traffic.stable / traffic.canary or the VirtualService.`,
    );
  });

  it('reports a missing VirtualService name with the documents it found', () => {
    const wrong = providerFor({ provider: 'istio', file: FILE, name: 'apii', stable: 'api-stable', canary: 'api-canary' });
    const error = thrown(() => wrong.readWeight(files));
    expect(error.code).toBe('document-not-found');
    expect(error.message).toBe(
      `${FILE}: no VirtualService named "apii"; found: DestinationRule api, VirtualService api, VirtualService web. Fix the name or the file.`,
    );
  });

  it('refuses routes that disagree', () => {
    const skewed = before.replace('weight: 0   # moved by OpsBox', 'weight: 20   # moved by OpsBox').replace(
      '          weight: 100\n        - destination:\n            host: api-canary\n',
      '          weight: 80\n        - destination:\n            host: api-canary\n',
    );
    const error = thrown(() => provider.readWeight(filesOf({ [FILE]: skewed })));
    expect(error.code).toBe('inconsistent-weights');
    expect(error.message).toBe(
      `${FILE}: VirtualService api: the routes that split traffic between "api-stable" and "api-canary" disagree on the canary weight: http[0] (beta) 20%, http[2] (default) 0%. Give them the same weights.`,
    );
    // setting a weight aligns them again
    setWeightOn(provider, FILE, skewed, 20);
  });

  it('rejects weights outside 0–100', () => {
    for (const weight of [-1, 101, 12.5]) {
      const error = thrown(() => provider.setWeight(files, weight));
      expect(error.code).toBe('invalid-weight');
    }
  });

  it('rejects a weight that is not a number, with its line', () => {
    const error = thrown(() => provider.readWeight(filesOf({ [FILE]: before.replace('weight: 0   #', 'weight: ten   #') })));
    expect(error.code).toBe('invalid-weight');
    expect(error.message).toBe(`${FILE}:33:19: spec.http[0].route[1].weight: the weight is "ten"; it must be a whole number of 0 or more.`);
  });

  it('keeps CRLF line endings', () => {
    const crlf = toCrlf(before);
    const after = provider.setWeight(filesOf({ [FILE]: crlf }), 10).get(FILE)!;
    expect(changedLines(crlf, after)).toHaveLength(8);
    expect(after).toBe(toCrlf(provider.setWeight(files, 10).get(FILE)!));
  });

  it('adds weights to subset destinations that have none', () => {
    const FILE_SUBSETS = 'apps/api/vs.yaml';
    const subsets = providerFor({ provider: 'istio', file: FILE_SUBSETS, stable: 'stable', canary: 'canary' });
    const text = trafficFixture('istio-subsets.yaml');
    const error = thrown(() => subsets.readWeight(filesOf({ [FILE_SUBSETS]: text })));
    expect(error.code).toBe('invalid-weight');
    expect(error.message).toContain('gives weight 0 to both "api subset stable" and "api subset canary"');
    const after = setWeightOn(subsets, FILE_SUBSETS, text, 10);
    expect(changedLines(text, after)).toEqual(['+      weight: 90', '+      weight: 10']);
    expect(after).toContain('        subset: stable\n      weight: 90\n    - destination:');
    expect(after).toContain('        subset: canary   # added for canary releases\n      weight: 10\n    timeout: 10s');
  });

  it('asks for subset names when a host matches both destinations', () => {
    const byHost = providerFor({ provider: 'istio', file: 'vs.yaml', stable: 'api', canary: 'canary' });
    const error = thrown(() => byHost.readWeight(filesOf({ 'vs.yaml': trafficFixture('istio-subsets.yaml') })));
    expect(error.code).toBe('duplicate-backend');
    expect(error.message).toContain('2 route destinations of http[0] match "api" (api subset stable, api subset canary)');
  });

  it('says when no route carries both backends', () => {
    const text = 'kind: VirtualService\nmetadata: {name: api}\nspec:\n  http:\n    - route: [{destination: {host: api-stable}}]\n    - route: [{destination: {host: api-canary}}]\n';
    const error = thrown(() => provider.readWeight(filesOf({ [FILE]: text })));
    expect(error.code).toBe('backend-not-found');
    expect(error.message).toBe(
      `${FILE}: VirtualService api: no route sends traffic to both "api-stable" and "api-canary"; found: http[0]: api-stable; http[1]: api-canary. Add both to the route that should be split.`,
    );
  });

  it('reports a missing file', () => {
    const error = thrown(() => provider.readWeight(filesOf({})));
    expect(error.code).toBe('file-missing');
    expect(error.file).toBe(FILE);
  });
});
