/** Gateway API HTTPRoute (and GRPCRoute): `spec.rules[*].backendRefs[*].weight`. */
import type { BackendSplitKind } from './backend-split.js';
import { listItems, stringAt } from './backend-split.js';

export const gatewayApi: BackendSplitKind = {
  provider: 'gateway-api',
  kinds: ['HTTPRoute', 'GRPCRoute'],
  backendNoun: 'backendRef',
  groupNoun: 'rule',
  // the Gateway API default weight of a backendRef
  defaultWeight: 1,
  groups: (file, doc) =>
    listItems(file, doc, ['spec', 'rules']).map((rule, index) => {
      const ruleName = stringAt(rule.node, 'name');
      return {
        label: `rules[${index}]${ruleName ? ` (${ruleName})` : ''}`,
        backends: listItems(file, doc, [...rule.path, 'backendRefs']).flatMap((ref) => {
          const name = stringAt(ref.node, 'name');
          return name === undefined ? [] : [{ label: name, names: [name], entry: ref.node, path: ref.path }];
        }),
      };
    }),
};
