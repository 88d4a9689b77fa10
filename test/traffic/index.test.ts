import { describe, expect, it } from '@jest/globals';
import { createTrafficProvider } from '../../src/traffic/index.js';
import { serviceWith } from './helpers.js';

describe('createTrafficProvider', () => {
  it.each([
    [{ provider: 'istio', file: 'vs.yaml', stable: 'a', canary: 'b' }, ['vs.yaml']],
    [{ provider: 'gateway-api', file: 'route.yaml', stable: 'a', canary: 'b' }, ['route.yaml']],
    [{ provider: 'smi', file: 'split.yaml', stable: 'a', canary: 'b' }, ['split.yaml']],
    [{ provider: 'traefik', file: 'ts.yaml', stable: 'a', canary: 'b' }, ['ts.yaml']],
    [{ provider: 'nginx', file: 'ingress.yaml' }, ['ingress.yaml']],
    [{ provider: 'replicas', total: 4 }, ['apps/api/canary.yaml', 'apps/api/stable.yaml']],
    [{ provider: 'yaml-path', file: 'values.yaml', canaryPath: 'w' }, ['values.yaml']],
  ])('builds the %j provider with the files it reads and writes', (traffic, files) => {
    const provider = createTrafficProvider(serviceWith(traffic));
    expect(provider.name).toBe(traffic.provider);
    expect(provider.files).toEqual(files);
  });

  it('lists a file once when canary and stable share it', () => {
    const provider = createTrafficProvider(
      serviceWith({ provider: 'replicas', total: 2 }, { canary: { file: 'd.yaml', name: 'c' }, stable: { file: 'd.yaml', name: 's' } }),
    );
    expect(provider.files).toEqual(['d.yaml']);
  });
});
