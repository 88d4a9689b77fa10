import { expect } from '@jest/globals';
import { serviceSchema, type ServiceConfig } from '../../src/config/opsbox.schema.js';
import { createTrafficProvider, type TrafficProvider } from '../../src/traffic/index.js';
import type { FileSet } from '../../src/traffic/provider.js';
import { manifestFixture } from '../manifests/helpers.js';

export { changedLines, manifestFixture, thrown, toCrlf } from '../manifests/helpers.js';

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

/** The provider of a service with this traffic block. */
export function providerFor(traffic: Record<string, unknown>, overrides: Record<string, unknown> = {}): TrafficProvider {
  return createTrafficProvider(serviceWith(traffic, overrides));
}

export function filesOf(contents: Record<string, string>): FileSet {
  return new Map(Object.entries(contents));
}

/** Sets `weight` on `file` holding `text`, checks that the result reads back as `weight`, and returns it. */
export function setWeightOn(provider: TrafficProvider, file: string, text: string, weight: number): string {
  const after = provider.setWeight(filesOf({ [file]: text }), weight).get(file);
  if (after === undefined) throw new Error(`setting ${weight}% left ${file} unchanged`);
  expect(provider.readWeight(filesOf({ [file]: after }))).toBe(weight);
  return after;
}
