/** SMI TrafficSplit: `spec.backends[*].weight`. */
import type { BackendSplitKind } from './backend-split.js';
import { listItems, stringAt } from './backend-split.js';

export const smi: BackendSplitKind = {
  provider: 'smi',
  kinds: ['TrafficSplit'],
  backendNoun: 'backend',
  groupNoun: 'backend list',
  defaultWeight: 0,
  groups: (file, doc) => [
    {
      label: 'spec.backends',
      backends: listItems(file, doc, ['spec', 'backends']).flatMap((backend) => {
        const service = stringAt(backend.node, 'service');
        return service === undefined ? [] : [{ label: service, names: [service], entry: backend.node, path: backend.path }];
      }),
    },
  ],
};
