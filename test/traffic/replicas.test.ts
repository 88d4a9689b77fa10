import { describe, expect, it } from '@jest/globals';
import { canaryReplicas } from '../../src/traffic/replicas.js';
import { createTrafficProvider } from '../../src/traffic/index.js';
import { changedLines, filesOf, manifestFixture, providerFor, serviceWith, thrown } from './helpers.js';

const SHARED = 'apps/api/deployments.yaml';
const shared = manifestFixture('canary-and-stable.yaml');
const sameFile = providerFor({ provider: 'replicas', total: 3 }, { canary: { file: SHARED, name: 'api-canary' }, stable: { file: SHARED, name: 'api-stable' } });

describe('replicas', () => {
  it('runs whole canary replicas only for the weights they express', () => {
    expect([0, 10, 33, 34, 50, 67, 100].map((weight) => canaryReplicas(3, weight))).toEqual([0, undefined, 1, undefined, undefined, 2, 3]);
    expect(canaryReplicas(10, 10)).toBe(1);
    expect(canaryReplicas(7, 30)).toBeUndefined();
    expect(canaryReplicas(7, 29)).toBe(2);
  });

  it('refuses a step a small total cannot express, naming the nearest weights, instead of committing another split', () => {
    const two = providerFor({ provider: 'replicas', total: 2 }, { canary: { file: SHARED, name: 'api-canary' }, stable: { file: SHARED, name: 'api-stable' } });
    const text = shared.replace('  replicas: 3\n', '  replicas: 2\n');
    const error = thrown(() => two.setWeight(filesOf({ [SHARED]: text }), 10));
    expect(error.code).toBe('invalid-weight');
    expect(error.message).toBe(
      `${SHARED}: Deployment api-canary: 10% cannot be run with traffic.total 2: the canary has whole replicas, and the nearest weights are 0% and 50%. Use steps that 2 replicas can express, or set traffic.total to 10.`,
    );
    expect(thrown(() => sameFile.setWeight(filesOf({ [SHARED]: shared }), 50)).message).toContain('the nearest weights are 33% and 67%');
    expect(changedLines(text, two.setWeight(filesOf({ [SHARED]: text }), 50).get(SHARED)!)).toEqual(['-  replicas: 2', '+  replicas: 1', '-  replicas: 0', '+  replicas: 1']);
  });

  it('reads the canary share of the total', () => {
    expect(sameFile.files).toEqual([SHARED]);
    expect(sameFile.readWeight(filesOf({ [SHARED]: shared }))).toBe(0);
  });

  it.each([
    [33, 2, 1],
    [67, 1, 2],
    [100, 0, 3],
  ])('at %i%% runs stable %i and canary %i of 3, editing both documents of one file', (weight, stable, canary) => {
    const after = sameFile.setWeight(filesOf({ [SHARED]: shared }), weight).get(SHARED)!;
    expect(changedLines(shared, after)).toEqual(['-  replicas: 3', `+  replicas: ${stable}`, '-  replicas: 0', `+  replicas: ${canary}`]);
    // whole replicas read back as the nearest percent: 1 of 3 is 33%
    expect(sameFile.readWeight(filesOf({ [SHARED]: after }))).toBe(Math.round((canary * 100) / 3));
  });

  it('at 0% runs everything on stable and changes nothing when already there', () => {
    expect(sameFile.setWeight(filesOf({ [SHARED]: shared }), 0).size).toBe(0);
    const atHalf = sameFile.setWeight(filesOf({ [SHARED]: shared }), 67).get(SHARED)!;
    expect(sameFile.setWeight(filesOf({ [SHARED]: atHalf }), 0).get(SHARED)).toBe(shared);
  });

  describe('with canary and stable in their own files', () => {
    const provider = providerFor({ provider: 'replicas', total: 4 }, { canary: { file: 'apps/api/canary.yaml' }, stable: { file: 'apps/api/stable.yaml' } });
    const files = filesOf({
      'apps/api/canary.yaml': manifestFixture('deployment-sidecar.yaml'),
      'apps/api/stable.yaml': manifestFixture('multi-document.yaml'),
    });

    it('finds the workloads by image and returns only the files that change', () => {
      expect(provider.files).toEqual(['apps/api/canary.yaml', 'apps/api/stable.yaml']);
      expect(provider.readWeight(files)).toBe(25);
      expect(provider.setWeight(files, 25).size).toBe(0); // 1 canary of 4, as now
      const changed = provider.setWeight(files, 50);
      expect([...changed.keys()]).toEqual(['apps/api/canary.yaml', 'apps/api/stable.yaml']);
      expect(changedLines(files.get('apps/api/canary.yaml')!, changed.get('apps/api/canary.yaml')!)).toEqual(['-  replicas: 1', '+  replicas: 2']);
      expect(changedLines(files.get('apps/api/stable.yaml')!, changed.get('apps/api/stable.yaml')!)).toEqual(['-  replicas: 3', '+  replicas: 2']);
    });
  });

  it('counts a workload without spec.replicas as one replica and adds the field', () => {
    const text = shared.replace('  replicas: 0\n', '');
    expect(() => sameFile.readWeight(filesOf({ [SHARED]: text }))).toThrow('the canary runs 1 and the stable 3 replicas, 4 in all, but traffic.total is 3');
    const after = sameFile.setWeight(filesOf({ [SHARED]: text }), 33).get(SHARED)!;
    expect(changedLines(text, after)).toEqual(['-  replicas: 3', '+  replicas: 2', '+  replicas: 1']);
    expect(after).toContain('  name: api-canary\nspec:\n  template:\n    spec:\n      containers:\n        - name: api\n          image: ghcr.io/acme/api:v2\n  replicas: 1\n');
  });

  it('says that quotes make a replica count a string, instead of asking for the number it shows', () => {
    const error = thrown(() => sameFile.readWeight(filesOf({ [SHARED]: shared.replace('  replicas: 3\n', '  replicas: "3"\n') })));
    expect(error.code).toBe('invalid-weight');
    expect(error.message).toContain('spec.replicas: the weight is the string "3"; write it without quotes, as a number.');
  });

  it('needs names when one file holds both workloads', () => {
    // both unnamed is refused by the config already (the same place twice)
    const unnamed = providerFor({ provider: 'replicas', total: 3 }, { canary: { file: SHARED, name: 'api-canary' }, stable: { file: SHARED } });
    const error = thrown(() => unnamed.readWeight(filesOf({ [SHARED]: shared })));
    expect(error.code).toBe('ambiguous');
    expect(error.message).toBe(
      `${SHARED}: 2 workloads run ghcr.io/acme/api (Deployment api-stable, Deployment api-canary); set stable.name to the metadata.name of the stable one.`,
    );
  });

  it('explains that a kustomization is not a workload', () => {
    const provider = providerFor({ provider: 'replicas', total: 3 }, { canary: { file: 'apps/api/kustomization.yaml' }, stable: { file: SHARED, name: 'api-stable' } });
    const error = thrown(() => provider.readWeight(filesOf({ 'apps/api/kustomization.yaml': manifestFixture('kustomization.yaml'), [SHARED]: shared })));
    expect(error.code).toBe('workload-not-found');
    expect(error.message).toContain('apps/api/kustomization.yaml: the replicas provider scales the canary workload that runs ghcr.io/acme/api, and there is none here');
  });

  it('refuses a DaemonSet', () => {
    const daemonSet = shared.replace('kind: Deployment\nmetadata:\n  name: api-canary', 'kind: DaemonSet\nmetadata:\n  name: api-canary');
    const error = thrown(() => sameFile.readWeight(filesOf({ [SHARED]: daemonSet })));
    expect(error.code).toBe('workload-not-found');
    expect(error.message).toBe(`${SHARED}: the canary DaemonSet api-canary has no spec.replicas; the replicas provider needs a Deployment, StatefulSet or Rollout.`);
  });

  it('refuses canary and stable that are the same workload', () => {
    // the config refuses the same name twice; here the two names resolve to one workload
    const service = serviceWith({ provider: 'replicas', total: 3 }, { canary: { file: SHARED, name: 'api-stable' }, stable: { file: SHARED, name: 'api-canary' } });
    const same = createTrafficProvider({ ...service, stable: { file: SHARED, name: 'api-stable' } });
    expect(thrown(() => same.readWeight(filesOf({ [SHARED]: shared }))).code).toBe('workload-not-found');
  });
});
