/**
 * Carries out a command read from a comment: finds the rollouts of the thread (the pull request),
 * checks the author's role, hands the command to the rollout state machine, acknowledges it (👀 on
 * GitHub) and answers what needs an answer, all through the repository's forge. Runs after the
 * webhook has been acknowledged.
 */
import type { Logger } from 'pino';
import { canWrite, type Forge, type RepoRef, type ThreadRef } from '../forge/forge.js';
import { availableCommands, commandContextOf, stepPosition } from '../report/commands.js';
import type { RolloutCommand, RolloutEvent, RolloutState, Transition } from '../rollout/types.js';
import { CHAT_COMMANDS, changesRollout, type ChatCommandName } from '../chatops/commands.js';
import type { ParsedComment } from '../chatops/parse.js';
import type { CommandLine, CommandReplyView, HelpView } from '../chatops/reply-views.js';

/** A command comment as the webhook saw it; kept with its claim until it has been carried out. */
export interface CommandRequest {
  repo: RepoRef;
  issueNumber: number;
  commentId: number;
  /** The comment's `created_at` (ISO 8601): which step the author saw. */
  createdAt?: string;
  author: string;
  parsed: Exclude<ParsedComment, { kind: 'none' }>;
}

export interface ChatOpsDeps {
  forPullRequest(owner: string, repo: string, number: number): Promise<RolloutState[]>;
  /** The newest rollout of a service of a repository, whichever pull request started it. */
  latestOf(owner: string, repo: string, service: string): Promise<RolloutState | undefined>;
  dispatch(id: string, event: RolloutEvent, onDecided?: (decision: Transition) => Promise<void>): Promise<Transition | undefined>;
  /** The forge of the repository the command came from. */
  forge(repo: RepoRef): Forge;
  /** Runs the preflight check of an open pull request again; false when there is none to check. */
  preflight?(repo: RepoRef, number: number): Promise<boolean>;
  log?: Pick<Logger, 'info' | 'warn' | 'debug'>;
}

export type CommandOutcome =
  | { kind: 'ignored'; reason: string }
  | { kind: 'answered'; reply: CommandReplyView['kind'] | 'help' }
  | { kind: 'preflight'; ran: boolean }
  | { kind: 'applied'; accepted: string[]; rejected: string[] };

export async function runCommand(deps: ChatOpsDeps, request: CommandRequest): Promise<CommandOutcome> {
  const { repo, issueNumber, parsed, author: user } = request;
  // The one command of a pull request without a rollout; anyone who can comment may run it.
  if (parsed.kind === 'command' && parsed.name === 'preflight') {
    return { kind: 'preflight', ran: deps.preflight ? await deps.preflight(repo, issueNumber) : false };
  }
  const rollouts = latestPerService(await deps.forPullRequest(repo.owner, repo.repo, issueNumber));
  // Pull requests without a rollout are none of the app's business: it stays silent there.
  if (rollouts.length === 0) return { kind: 'ignored', reason: `#${issueNumber} has no rollout` };

  const forge = deps.forge(repo);
  const thread: ThreadRef = { number: issueNumber };
  const reply = async (view: CommandReplyView): Promise<CommandOutcome> => {
    await forge.reply(repo, thread, { kind: 'reply', view });
    return { kind: 'answered', reply: view.kind };
  };
  const acknowledge = () => forge.acknowledge(repo, { id: String(request.commentId) });

  if (parsed.kind === 'unknown') {
    return reply({ kind: 'unknown', user, word: parsed.word, suggestion: parsed.suggestion, commands: commandLines() });
  }
  const command = commandText(parsed.name, parsed.kind === 'command' && parsed.full);
  if (parsed.kind === 'invalid') return reply({ kind: 'invalid', user, command, problem: parsed.problem });

  const targets = parsed.service ? rollouts.filter((r) => r.service === parsed.service) : rollouts;
  if (parsed.service && targets.length === 0) {
    return reply({ kind: 'no-service', user, command, service: parsed.service, services: rollouts.map((r) => r.service) });
  }

  if (parsed.name === 'help') {
    await acknowledge();
    // Recorded like every command (who asked, when); it changes nothing else.
    for (const target of targets) {
      await deps.dispatch(target.id, { type: 'command', command: { name: 'help' }, actor: user, commandId: String(request.commentId) });
    }
    await forge.reply(repo, thread, { kind: 'help', view: helpView(user, targets) });
    return { kind: 'answered', reply: 'help' };
  }

  if (changesRollout(parsed.name)) {
    const role = await forge.roleOf(repo, user);
    if (!canWrite(role)) return reply({ kind: 'refused', user, command, role });
  }

  const accepted: RolloutState[] = [];
  const rejected: { service: string; reason: string }[] = [];
  let acknowledged = false;
  for (const target of targets) {
    const event: RolloutEvent = {
      type: 'command',
      command: await rolloutCommand(parsed.name, parsed.full, target, forge, deps, commentedAt(request)),
      actor: user,
      commandId: String(request.commentId),
    };
    const decision = await deps.dispatch(target.id, event, async (decided) => {
      if (decided.rejected !== undefined || acknowledged) return;
      acknowledged = true;
      await acknowledge();
    });
    if (!decision) continue;
    if (decision.rejected !== undefined) rejected.push({ service: target.service, reason: decision.rejected });
    else accepted.push(decision.state);
  }
  deps.log?.info({ command, user, pullRequest: issueNumber, accepted: accepted.map((s) => s.id), rejected }, 'command handled');

  if (rejected.length > 0) {
    const several = targets.length > 1;
    await reply({ kind: 'rejected', user, command, reasons: rejected.map((r) => (several ? r : { reason: r.reason })) });
  }
  if (parsed.name === 'status' && accepted.length > 0) {
    const links = accepted.map((state) => ({ service: state.service, phase: state.phase, url: forge.threadUrl(state.repo, { number: state.source.number }, state.statusRef) }));
    await reply({ kind: 'status', user, links });
  }
  return { kind: 'applied', accepted: accepted.map((s) => s.id), rejected: rejected.map((r) => r.service) };
}

function commentedAt(request: CommandRequest): number | undefined {
  const at = request.createdAt === undefined ? NaN : Date.parse(request.createdAt);
  return Number.isNaN(at) ? undefined : at;
}

/** The newest rollout of each service: older ones of the same pull request were retried or superseded. */
function latestPerService(rollouts: RolloutState[]): RolloutState[] {
  const seen = new Set<string>();
  return [...rollouts]
    .sort((a, b) => b.startedAt - a.startedAt)
    .filter((r) => !seen.has(r.service) && seen.add(r.service));
}

async function rolloutCommand(
  name: ChatCommandName,
  full: boolean,
  state: RolloutState,
  forge: Forge,
  deps: Pick<ChatOpsDeps, 'latestOf'>,
  writtenAt: number | undefined,
): Promise<RolloutCommand> {
  switch (name) {
    case 'promote':
      // The step it was meant for: a second /promote sent together, or one delivered late, must
      // not end the next step too.
      if (full) return { name, full };
      return writtenAt === undefined ? { name, full, step: state.stepIndex } : { name, full, step: state.stepIndex, commentedAt: writtenAt };
    case 'retry': {
      if (state.phase !== 'Aborted') return { name };
      // A later bump or a merged revert PR changed the canary since: retrying would fight them.
      const latest = await deps.latestOf(state.repo.owner, state.repo.repo, state.service);
      if (latest && latest.id !== state.id && latest.startedAt > state.startedAt) {
        return { name, newer: { to: latest.to, sourceNumber: latest.source.number } };
      }
      if (!state.revert) return { name };
      return { name, revertMerged: (await forge.revertStatus(state.repo, state.revert)) === 'merged' };
    }
    case 'pause':
    case 'resume':
    case 'abort':
    case 'status':
    case 'help':
      return { name };
    case 'preflight':
      throw new Error('/preflight is answered before any rollout is looked at');
  }
}

function commandText(name: ChatCommandName, full: boolean): string {
  return full ? '/promote --full' : `/${name}`;
}

function commandLines(): CommandLine[] {
  return CHAT_COMMANDS.map((c) => ({
    usage: c.usage,
    summary: c.summary,
    who: c.changes ? 'write, maintain or admin' : 'anyone who can comment',
  }));
}

function helpView(user: string, rollouts: RolloutState[]): HelpView {
  return {
    user,
    commands: commandLines(),
    several: rollouts.length > 1,
    rollouts: rollouts.map((state) => {
      const { stepNumber, totalSteps } = stepPosition(state);
      const now = availableCommands(commandContextOf(state)).filter((c) => c.command !== '/help');
      return { service: state.service, from: state.from, to: state.to, phase: state.phase, stepNumber, totalSteps, now };
    }),
  };
}
