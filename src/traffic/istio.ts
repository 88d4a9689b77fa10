/** Istio VirtualService: `spec.http[*].route[*].weight` (and tls/tcp routes alike). */
import type { BackendGroup, BackendSplitKind } from './backend-split.js';
import { listItems, stringAt } from './backend-split.js';

const ROUTE_SECTIONS = ['http', 'tls', 'tcp'] as const;

export const istio: BackendSplitKind = {
  provider: 'istio',
  kinds: ['VirtualService'],
  backendNoun: 'route destination',
  groupNoun: 'route',
  // Istio sends nothing to a destination without weight when the route has several
  defaultWeight: 0,
  groups(file, doc) {
    const groups: BackendGroup[] = [];
    for (const section of ROUTE_SECTIONS) {
      for (const [index, route] of listItems(file, doc, ['spec', section]).entries()) {
        const routeName = stringAt(route.node, 'name');
        const backends = listItems(file, doc, [...route.path, 'route']).flatMap((destination) => {
          const host = stringAt(destination.node, 'destination', 'host');
          if (host === undefined) return [];
          const subset = stringAt(destination.node, 'destination', 'subset');
          // `api-stable.shop.svc.cluster.local` answers to `api-stable` too
          const shortHost = host.split('.')[0];
          return [
            {
              label: subset ? `${host} subset ${subset}` : host,
              names: [host, shortHost, ...(subset ? [subset] : [])],
              entry: destination.node, path: destination.path,
            },
          ];
        });
        groups.push({ label: `${section}[${index}]${routeName ? ` (${routeName})` : ''}`, backends });
      }
    }
    return groups;
  },
};
