/** Traefik TraefikService: `spec.weighted.services[*].weight`. */
import type { BackendSplitKind } from './backend-split.js';
import { listItems, stringAt } from './backend-split.js';

export const traefik: BackendSplitKind = {
  provider: 'traefik',
  kinds: ['TraefikService'],
  backendNoun: 'weighted service',
  groupNoun: 'weighted service list',
  // Traefik's default weight of a weighted service
  defaultWeight: 1,
  groups: (file, doc) => [
    {
      label: 'spec.weighted.services',
      backends: listItems(file, doc, ['spec', 'weighted', 'services']).flatMap((service) => {
        const name = stringAt(service.node, 'name');
        return name === undefined ? [] : [{ label: name, names: [name], entry: service.node, path: service.path }];
      }),
    },
  ],
};
