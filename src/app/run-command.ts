/**
 * Carries out a command read from a comment: finds the rollouts of the pull request, checks the
 * author's permission, hands the command to the rollout state machine, acknowledges it with 👀
 * and answers what needs an answer. Runs after the webhook has been acknowledged.
 */
import type { Logger } from 'pino';
import { addReaction, postComment, type PostCommentOctokit, type ReactionOctokit } from '../forge/github/comment.js';
import { canWrite, getRepoPermission, type PermissionOctokit } from '../forge/github/permissions.js';
import { pullRequestSides, pullRequestStatus, type PullStateOctokit } from '../forge/github/pull-request.js';
import type { PreflightRequest } from '../preflight/run.js';
import { availableCommands, commandContextOf, stepPosition } from '../report/commands.js';
import { reportRenderer } from '../report/render.js';
import type { RolloutCommand, RolloutEvent, RolloutState, Transition } from '../rollout/types.js';
import { CHAT_COMMANDS, changesRollout, type ChatCommandName } from '../chatops/commands.js';
import type { ParsedComment } from '../chatops/parse.js';
import type { CommandLine, CommandReplyView, HelpView } from '../chatops/reply-views.js';

export type ChatOctokit = PermissionOctokit & PostCommentOctokit & ReactionOctokit & PullStateOctokit;

/** A command comment as the webhook saw it; kept with its claim until it has been carried out. */
export interface CommandRequest {
  installationId: number;
  owner: string;
  repo: string;
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
  auth(installationId: number): Promise<ChatOctokit>;
  /** Runs the preflight check of a pull request (and writes nothing else). */
  preflight?(request: PreflightRequest): Promise<void>;
  serverUrl: string;
  log?: Pick<Logger, 'info' | 'warn' | 'debug'>;
}

export type CommandOutcome =
  | { kind: 'ignored'; reason: string }
  | { kind: 'answered'; reply: CommandReplyView['kind'] | 'help' }
  | { kind: 'preflight'; ran: boolean }
  | { kind: 'applied'; accepted: string[]; rejected: string[] };

export async function runCommand(deps: ChatOpsDeps, request: CommandRequest): Promise<CommandOutcome> {
  const { owner, repo, issueNumber, parsed, author: user } = request;
  // The one command of a pull request without a rollout; anyone who can comment may run it.
  if (parsed.kind === 'command' && parsed.name === 'preflight') return preflightAgain(deps, request);
  const rollouts = latestPerService(await deps.forPullRequest(owner, repo, issueNumber));
  // Pull requests without a rollout are none of the app's business: it stays silent there.
  if (rollouts.length === 0) return { kind: 'ignored', reason: `#${issueNumber} has no rollout` };

  const octokit = await deps.auth(request.installationId);
  const reply = async (view: CommandReplyView): Promise<CommandOutcome> => {
    await postComment(octokit, { owner, repo, issueNumber, body: reportRenderer().commandReply(view) });
    return { kind: 'answered', reply: view.kind };
  };
  const acknowledge = () => addReaction(octokit, { owner, repo, commentId: request.commentId, content: 'eyes' });

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
    const body = reportRenderer().commandHelp(helpView(user, targets));
    await postComment(octokit, { owner, repo, issueNumber, body });
    return { kind: 'answered', reply: 'help' };
  }

  if (changesRollout(parsed.name)) {
    const role = await getRepoPermission(octokit, { owner, repo, username: user });
    if (!canWrite(role)) return reply({ kind: 'refused', user, command, role });
  }

  const accepted: RolloutState[] = [];
  const rejected: { service: string; reason: string }[] = [];
  let acknowledged = false;
  for (const target of targets) {
    const event: RolloutEvent = {
      type: 'command',
      command: await rolloutCommand(parsed.name, parsed.full, target, octokit, deps, commentedAt(request)),
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
    const links = accepted.map((state) => ({ service: state.service, phase: state.phase, url: statusUrl(deps.serverUrl, state) }));
    await reply({ kind: 'status', user, links });
  }
  return { kind: 'applied', accepted: accepted.map((s) => s.id), rejected: rejected.map((r) => r.service) };
}

function commentedAt(request: CommandRequest): number | undefined {
  const at = request.createdAt === undefined ? NaN : Date.parse(request.createdAt);
  return Number.isNaN(at) ? undefined : at;
}

/** Runs the preflight check of an open pull request again; its check run is the only answer. */
async function preflightAgain(deps: ChatOpsDeps, request: CommandRequest): Promise<CommandOutcome> {
  const { owner, repo, issueNumber: number } = request;
  if (!deps.preflight) return { kind: 'preflight', ran: false };
  const octokit = await deps.auth(request.installationId);
  const sides = await pullRequestSides(octokit, { owner, repo, number });
  if (!sides?.open || !sides.toDefaultBranch) return { kind: 'preflight', ran: false };
  await deps.preflight({ installationId: request.installationId, owner, repo, number, headSha: sides.headSha, baseSha: sides.baseSha, fork: sides.fork });
  return { kind: 'preflight', ran: true };
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
  octokit: ChatOctokit,
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
      if (!state.revertPr) return { name };
      const status = await pullRequestStatus(octokit, { owner: state.repo.owner, repo: state.repo.repo, number: state.revertPr.number });
      return { name, revertMerged: status === 'merged' };
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

function statusUrl(serverUrl: string, state: RolloutState): string {
  const pull = `${serverUrl}/${state.repo.owner}/${state.repo.repo}/pull/${state.source.number}`;
  return state.statusCommentId ? `${pull}#issuecomment-${state.statusCommentId}` : pull;
}
