/**
 * Webhook payloads built from the community examples in `@octokit/webhooks-examples`, patched with the
 * fake's own repository, numbers, shas, users and installation — so every field the real payload has is there.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';

interface WebhookDefinition {
  name: string;
  examples: Array<Record<string, unknown>>;
}

let definitions: WebhookDefinition[] | undefined;

function example(event: string, action: string): Record<string, unknown> {
  if (!definitions) {
    const require = createRequire(import.meta.url);
    definitions = JSON.parse(readFileSync(require.resolve('@octokit/webhooks-examples'), 'utf8')) as WebhookDefinition[];
  }
  const found = definitions.find((definition) => definition.name === event)?.examples.find((candidate) => candidate.action === action);
  if (!found) throw new Error(`no ${event}.${action} example in @octokit/webhooks-examples`);
  return structuredClone(found);
}

export interface PayloadParts {
  repository: Record<string, unknown>;
  sender: Record<string, unknown>;
  installationId: number;
}

function installation(id: number): Record<string, unknown> {
  return { id, node_id: Buffer.from(`Installation:${id}`).toString('base64') };
}

export function pullRequestPayload(
  action: 'opened' | 'closed',
  pullRequest: Record<string, unknown>,
  parts: PayloadParts,
): Record<string, unknown> {
  const payload = example('pull_request', action);
  const original = payload.pull_request as Record<string, unknown>;
  return {
    ...payload,
    action,
    number: pullRequest.number,
    pull_request: { ...original, ...pullRequest },
    repository: { ...(payload.repository as Record<string, unknown>), ...parts.repository },
    installation: installation(parts.installationId),
    sender: parts.sender,
  };
}

export function issueCommentPayload(
  action: 'created' | 'edited' | 'deleted',
  issue: Record<string, unknown>,
  comment: Record<string, unknown>,
  parts: PayloadParts,
  changes?: Record<string, unknown>,
): Record<string, unknown> {
  const payload = example('issue_comment', action);
  return {
    ...payload,
    action,
    issue: { ...(payload.issue as Record<string, unknown>), ...issue },
    comment: { ...(payload.comment as Record<string, unknown>), ...comment },
    repository: { ...(payload.repository as Record<string, unknown>), ...parts.repository },
    installation: installation(parts.installationId),
    sender: parts.sender,
    ...(changes ? { changes } : {}),
  };
}
