/** The traffic provider of a service, chosen by `traffic.provider` (SPEC §1). */
import type { ServiceConfig } from '../config/opsbox.schema.js';
import { createBackendSplitProvider } from './backend-split.js';
import { gatewayApi } from './gateway-api.js';
import { istio } from './istio.js';
import { createNginxProvider } from './nginx.js';
import type { TrafficProvider } from './provider.js';
import { createReplicasProvider } from './replicas.js';
import { smi } from './smi.js';
import { traefik } from './traefik.js';
import { createYamlPathProvider } from './yaml-path.js';

export type { FileSet, TrafficProvider } from './provider.js';
export { TrafficError, type TrafficErrorCode } from './errors.js';

export function createTrafficProvider(service: ServiceConfig): TrafficProvider {
  const traffic = service.traffic;
  switch (traffic.provider) {
    case 'istio':
      return createBackendSplitProvider(istio, traffic);
    case 'gateway-api':
      return createBackendSplitProvider(gatewayApi, traffic);
    case 'smi':
      return createBackendSplitProvider(smi, traffic);
    case 'traefik':
      return createBackendSplitProvider(traefik, traffic);
    case 'nginx':
      return createNginxProvider(traffic);
    case 'replicas':
      return createReplicasProvider(service, traffic.total);
    case 'yaml-path':
      return createYamlPathProvider(traffic);
  }
}
