/** The chat commands people run on a bump pull request or its revert pull request. */

export type ChatCommandName = 'promote' | 'pause' | 'resume' | 'abort' | 'retry' | 'status' | 'help' | 'preflight';

export interface ChatCommandSpec {
  name: ChatCommandName;
  usage: string;
  /** Whether it changes the rollout (and so needs write access). */
  changes: boolean;
  summary: string;
}

export const CHAT_COMMANDS: readonly ChatCommandSpec[] = [
  { name: 'promote', usage: '/promote', changes: true, summary: 'end the current pause or analysis and go on with the next step' },
  { name: 'promote', usage: '/promote --full', changes: true, summary: 'skip the remaining steps and promote the new version to stable' },
  { name: 'pause', usage: '/pause', changes: true, summary: 'hold the canary at its current weight; a timed pause stops its clock' },
  { name: 'resume', usage: '/resume', changes: true, summary: 'continue a paused rollout where it stood' },
  { name: 'abort', usage: '/abort', changes: true, summary: 'fail now: weight 0 at once, a revert pull request and a comment' },
  { name: 'retry', usage: '/retry', changes: true, summary: 'start an aborted rollout again from its first step' },
  { name: 'status', usage: '/status', changes: false, summary: 'refresh the status comment and link to it' },
  { name: 'help', usage: '/help', changes: false, summary: 'list the commands and what each would do now' },
  { name: 'preflight', usage: '/preflight', changes: false, summary: 'check the image bump again before the merge: plan, validation and live queries in the opsbox/preflight check' },
];

export const COMMAND_NAMES: readonly ChatCommandName[] = [...new Set(CHAT_COMMANDS.map((c) => c.name))];

export function changesRollout(name: ChatCommandName): boolean {
  return CHAT_COMMANDS.some((c) => c.name === name && c.changes);
}
