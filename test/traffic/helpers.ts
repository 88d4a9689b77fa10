import { serviceSchema, type ServiceConfig } from '../../src/config/opsbox.schema.js';
import { ManifestError } from '../../src/manifests/errors.js';
import type { FileSet } from '../../src/traffic/provider.js';
import { manifestFixture } from '../manifests/helpers.js';

export { changedLines, manifestFixture, toCrlf } from '../manifests/helpers.js';

export function trafficFixture(name: string): string {
  return manifestFixture(`traffic/${name}`);
}

/** A validated service config around a traffic block, as the config loader would produce it. */
export function serviceWith(traffic: Record<string, unknown>, overrides: Record<string, unknown> = {}): ServiceConfig {
  return serviceSchema.parse({
    image: 'ghcr.io/acme/api',
    canary: { file: 'apps/api/canary.yaml' },
    stable: { file: 'apps/api/stable.yaml' },
    traffic,
    steps: [{ setWeight: 10 }, { setWeight: 50 }],
    ...overrides,
  });
}

export function filesOf(contents: Record<string, string>): FileSet {
  return new Map(Object.entries(contents));
}

export function thrown(action: () => unknown): ManifestError<string> {
  try {
    action();
  } catch (error) {
    if (error instanceof ManifestError) return error as ManifestError<string>;
    throw error;
  }
  throw new Error('expected a ManifestError');
}
