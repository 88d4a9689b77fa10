/**
 * `opsbox watch`: the rollout engine on a plain git remote. It polls one branch with the `git` CLI;
 * a first-parent commit that changes a service's canary tag is a bump and starts a rollout, planned
 * and checked exactly as for a merged pull request on GitHub. The same state machine, engine and
 * file store run it (state in OPSBOX_DATA_DIR), so a restart resumes every rollout where it stood
 * and replays only effects whose results were not stored, each of them idempotent.
 *
 * Bumps are claimed in the store before their rollouts start and the branch position is saved
 * after the claim, so a kill at any point neither loses a bump nor starts one twice.
 */
import { mkdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import type { MetricProvider } from '../analysis/types.js';
import { validateConfig } from '../config/load.js';
import { CONFIG_PATH } from '../config/opsbox.schema.js';
import type { ConfigProblem } from '../config/problems.js';
import { GitForge, type GitStatusSink } from '../forge/git/git-forge.js';
import { GitRepository } from '../forge/git/repository.js';
import { argoAnalysis } from '../rollout/analysis-port.js';
import { TERMINAL_PHASES, type RepoRef, type RolloutCommand, type RolloutState } from '../rollout/types.js';
import { writeAtomically } from '../state/atomic-write.js';
import { FileRolloutStore } from '../state/file-store.js';
import { syncGateCheck, type SyncGateCheck } from '../sync/registry.js';
import { CommandInbox, type CliCommandAnswer, type CliCommandRequest } from './command-inbox.js';
import { lockDataDir } from './data-dir-lock.js';
import { RolloutEngine, type EngineObserver } from './engine.js';
import { ForgeEffectExecutor } from './executor.js';
import { ForgeRegistry } from '../forge/registry.js';
import { planRollouts, type MergedPullRequest } from './trigger.js';
import { redactCredentials } from '../report/redact.js';
import { observers, transitionLine } from '../ops/transition-log.js';

/** One JSON object per line: transitions, status publications, notices. */
export type JsonLog = (line: Record<string, unknown>) => void;

export interface GitWatchOptions {
  dataDir: string;
  remote: string;
  branch: string;
  /** How often the remote is fetched. */
  intervalMs: number;
  env: Readonly<Record<string, string | undefined>>;
  log: JsonLog;
  /** Sees every transition (the terminal progress view). */
  observer?: EngineObserver;
  /** Told about what GitHub would show on a pull request: problems, reverts, replies. */
  notice?: (text: string) => void;
  clock?: () => number;
  provider?: (defaultAddress: string | undefined) => MetricProvider;
  /** Status updates closer together than this go out as one (default: the engine's). */
  coalesceMs?: number;
  /** Who holds the data dir's lock, for whoever finds it taken. */
  purpose?: string;
}

export class DataDirBusyError extends Error {
  readonly code = 'data-dir-busy';
}

/** Commits read per poll at most; a longer backlog is read over the next polls. */
const MAX_COMMITS_PER_POLL = 100;
/** Where the last commit looked at is kept, in the copy's folder. */
const CURSOR_FILE = 'cursor.json';

export class GitWatch {
  readonly inbox: CommandInbox;
  private stopped = false;

  private constructor(
    private readonly options: GitWatchOptions,
    readonly repository: GitRepository,
    readonly forge: GitForge,
    readonly store: FileRolloutStore,
    readonly engine: RolloutEngine,
    private readonly release: () => Promise<void>,
  ) {
    this.inbox = new CommandInbox(options.dataDir);
  }

  /** Takes the data dir's lock (or throws DataDirBusyError), opens the store and the copy of the remote. */
  static async open(options: GitWatchOptions): Promise<GitWatch> {
    await mkdir(options.dataDir, { recursive: true });
    const lock = await lockDataDir(options.dataDir, options.purpose ?? 'opsbox watch');
    if (!lock.held) {
      throw new DataDirBusyError(`${options.dataDir} is in use by ${lock.by.what} (pid ${lock.by.pid} on ${lock.by.host}); stop it, or give this one another OPSBOX_DATA_DIR`);
    }
    try {
      const clock = options.clock ?? Date.now;
      const store = await FileRolloutStore.open(options.dataDir, { clock });
      const repository = await GitRepository.open(options.dataDir, options.remote, options.branch);
      const forge = new GitForge(repository, statusSink(options), {
        onPushConflict: (attempt) => options.log({ event: 'push-refused', branch: options.branch, attempt, msg: 'the branch moved; building the change again on the new head' }),
      });
      const executor = new ForgeEffectExecutor({ forges: new ForgeRegistry([forge]), env: options.env, clock, provider: options.provider });
      const engine = new RolloutEngine({
        store,
        machine: { analysis: argoAnalysis },
        executor,
        clock,
        coalesceMs: options.coalesceMs,
        observer: options.observer ? observers(options.observer, transitionLogger(options.log)) : transitionLogger(options.log),
        log: engineLog(options.log),
      });
      return new GitWatch(options, repository, forge, store, engine, lock.release);
    } catch (error) {
      await lock.release();
      throw error;
    }
  }

  /** The reference rollouts of this remote save. */
  get repoRef(): RepoRef {
    return this.forge.repoRef;
  }

  private get cursorFile(): string {
    return path.join(this.repository.dir, CURSOR_FILE);
  }

  /** The last commit of the branch looked at; set to the head on the first start. */
  async cursor(): Promise<string | undefined> {
    try {
      return (JSON.parse(await readFile(this.cursorFile, 'utf8')) as { sha: string }).sha;
    } catch {
      return undefined;
    }
  }

  private async saveCursor(sha: string): Promise<void> {
    await writeAtomically(this.cursorFile, JSON.stringify({ sha }));
  }

  /**
   * Fetches the branch and starts the rollouts of new bumps. The first poll of a new data dir only
   * notes the head: commits made before the watch began are history, not bumps to roll out.
   */
  async poll(): Promise<string[]> {
    const head = await this.repository.fetch();
    const started = await this.resumeClaims();
    const cursor = await this.cursor();
    if (cursor === undefined) {
      await this.saveCursor(head);
      this.options.log({ event: 'watching', remote: redactCredentials(this.repository.remote), branch: this.options.branch, head });
      return started;
    }
    if (cursor === head) return started;
    if (!(await this.repository.contains(head, cursor))) {
      // Force-pushed: what was looked at is gone; go on from the new head.
      this.options.log({ event: 'history-rewritten', branch: this.options.branch, was: cursor, head, msg: 'the branch no longer contains the last commit looked at; going on from its head' });
      await this.saveCursor(head);
      return started;
    }
    for (const sha of await this.repository.firstParentSince(cursor, head, MAX_COMMITS_PER_POLL)) {
      const key = this.claimKey(sha);
      const claimed = await this.store.claimOnce(key, { sha });
      await this.saveCursor(sha);
      if (claimed) started.push(...(await this.startFor(key, sha)));
    }
    return started;
  }

  /** Bumps claimed but not started before a crash. */
  private async resumeClaims(): Promise<string[]> {
    const started: string[] = [];
    const prefix = this.claimKey('');
    for (const { key, work } of await this.store.unfinishedWork()) {
      if (key.startsWith(prefix)) started.push(...(await this.startFor(key, (work as { sha: string }).sha)));
    }
    return started;
  }

  private claimKey(sha: string): string {
    return `git-bump:${this.forge.repoRef.repo}:${sha}`;
  }

  private async startFor(claim: string, sha: string): Promise<string[]> {
    const started = await this.startRollouts(sha);
    await this.store.finishWork(claim);
    return started;
  }

  /** Plans a commit like a merged pull request: config and files at that commit. */
  async startRollouts(sha: string): Promise<string[]> {
    const info = await this.repository.commitInfo(sha);
    if (/^OpsBox-Rollout:/m.test(info.message)) return []; // our own commit
    const loaded = await this.forge.loadConfigAt(sha, CONFIG_PATH);
    if (loaded.kind === 'none') return [];
    if (loaded.kind === 'invalid') return this.problems(sha, loaded.problems);
    const validated = validateConfig(loaded.raw, { file: CONFIG_PATH, text: loaded.text });
    if (!validated.ok) return this.problems(sha, validated.problems);

    const { owner, repo } = this.repoRef;
    // The bump's number is its position on the branch's first-parent line, for people to name it.
    const number = Number((await this.repository.git(['rev-list', '--count', '--first-parent', sha])).stdout.trim());
    const pr: MergedPullRequest = { repo: this.repoRef, number, title: info.subject, url: this.forge.commitUrl(this.repoRef, sha), mergeSha: sha, author: info.author };
    const plan = await planRollouts(this.forge, validated.config, pr, this.clock(), {
      defaultPrometheus: this.options.env.PROMETHEUS_URL || undefined,
      secretEnv: this.options.env,
      syncGates: GIT_SYNC_GATES,
      hasActiveRollout: async (service) => (await this.store.activeFor(owner, repo, service)).length > 0,
      idFor: (service) => `git:${repo}@${sha.slice(0, 12)}/${service}`,
    });
    if (plan.kind === 'none') {
      this.options.log({ event: 'no-rollout', commit: sha, reason: plan.reason });
      return [];
    }
    if (plan.kind === 'invalid') return this.problems(sha, plan.problems);
    const started: string[] = [];
    for (const rollout of plan.rollouts) {
      const older = (await this.store.activeFor(owner, repo, rollout.service)).filter((r) => r.id !== rollout.id);
      for (const old of older) await this.engine.dispatch(old.id, { type: 'supersede', by: rollout.id, to: rollout.to, sourceNumber: number });
      if (await this.engine.create(rollout)) started.push(rollout.id);
    }
    return started;
  }

  private problems(sha: string, problems: readonly ConfigProblem[]): string[] {
    this.forgeSink().problems(sha, problems);
    return [];
  }

  private forgeSink(): GitStatusSink {
    return statusSink(this.options);
  }

  /** Applies a CLI command through the state machine (from the inbox, or directly when no watch runs). */
  async applyCommand(request: CliCommandRequest): Promise<Omit<CliCommandAnswer, 'id'>> {
    if (request.remote !== this.repository.remote || request.branch !== this.options.branch) {
      return { ok: false, message: `this data dir's watch serves ${this.repository.remote} (${this.options.branch}), not ${request.remote} (${request.branch})` };
    }
    const { owner, repo } = this.repoRef;
    const latest = await this.store.latestFor(owner, repo, request.service);
    if (!latest) {
      return { ok: false, message: `no rollout of "${request.service}" on ${this.repository.remote} (${this.options.branch}); one starts when a commit changes its canary tag` };
    }
    if (request.command === 'status') return { ok: true, message: summarize(latest) };
    let command: RolloutCommand;
    if (request.command === 'promote') command = { name: 'promote', full: request.full === true };
    else if (request.command === 'retry') {
      const merged = latest.revert ? (await this.forge.revertStatus(this.repoRef, latest.revert)) === 'merged' : false;
      command = { name: 'retry', revertMerged: merged };
    } else command = { name: request.command };
    const decided = await this.engine.dispatch(latest.id, { type: 'command', command, actor: request.actor, commandId: `cli:${request.id}` });
    if (!decided) return { ok: false, message: `rollout ${latest.id} is gone` };
    if (decided.rejected) return { ok: false, message: decided.rejected };
    const current = (await this.store.get(latest.id))?.state ?? decided.state;
    return { ok: true, message: `${request.command}${request.full ? ' --full' : ''}: ${summarize(current)}` };
  }

  /** One round: due rollouts advance, waiting commands are applied. */
  async step(): Promise<void> {
    await this.engine.tick();
    await this.inbox.process((request) => this.applyCommand(request));
  }

  /**
   * Runs until `signal` aborts (or `until` says so): polls the remote every interval, advances
   * rollouts and applies commands every `tickMs`.
   */
  async run(options: { signal: AbortSignal; tickMs?: number; until?: () => Promise<boolean>; onRound?: () => void }): Promise<void> {
    const tickMs = options.tickMs ?? 1000;
    let nextPoll = 0;
    while (!options.signal.aborted && !this.stopped) {
      if (Date.now() >= nextPoll) {
        nextPoll = Date.now() + this.options.intervalMs;
        await this.poll().catch((error: Error) => this.options.log({ level: 'warn', event: 'poll-failed', msg: error.message }));
      }
      await this.step().catch((error: Error) => this.options.log({ level: 'error', event: 'round-failed', msg: error.message }));
      options.onRound?.();
      if (options.until && (await options.until())) break;
      await sleep(tickMs, options.signal);
    }
  }

  /** Whether every rollout of the remote has ended and has nothing left to do. */
  async settled(): Promise<boolean> {
    const { owner, repo } = this.repoRef;
    const page = await this.store.listRollouts({ repository: `${owner}/${repo}`, limit: 100 });
    return page.rollouts.every((r) => TERMINAL_PHASES.includes(r.phase) && r.outbox.length === 0);
  }

  /** Stops after the effect in flight; what is left stays stored for the next start. */
  async close(): Promise<void> {
    this.stopped = true;
    await this.engine.stopAtSafePoint();
    await this.store.close();
    await this.release();
  }

  private clock(): number {
    return (this.options.clock ?? Date.now)();
  }
}

/** Plain git has no commit statuses, and `opsbox watch` reads no cluster: only `sync.delay` can be waited on. */
const GIT_SYNC_GATES: SyncGateCheck = (gate, sync) =>
  gate === 'commitStatus'
    ? 'a plain git remote has no commit statuses, so the rollout would not wait for this gate; use sync.delay'
    : syncGateCheck({ configured: false, reason: 'opsbox watch reads no cluster' })(gate, sync);

export function summarize(state: RolloutState): string {
  const steps = state.serviceConfig.steps.length;
  const where = TERMINAL_PHASES.includes(state.phase) ? '' : `, step ${Math.min(state.stepIndex + 1, steps)}/${steps}`;
  const why = state.phase === 'Paused' && state.pauseReason ? ` (${state.pauseReason})` : '';
  const revert = state.revert ? `, revert branch ${state.revert.branch}` : '';
  return `${state.service} ${state.from} → ${state.to}: ${state.phase}${why}${where}, canary weight ${state.weight}%${revert}`;
}

function statusSink(options: GitWatchOptions): GitStatusSink {
  const notice = options.notice ?? (() => undefined);
  return {
    status: (publication) => {
      const v = publication.view;
      options.log({ event: 'status', rollout: publication.rolloutId, service: v.service, from: v.from, to: v.to, phase: v.phase, step: v.stepNumber, steps: v.totalSteps, weight: v.weight, detail: v.phaseDetail, final: publication.final });
    },
    problems: (commit, problems) => {
      options.log({ level: 'warn', event: 'no-rollout', commit, problems });
      notice(`✖ no rollout for ${commit.slice(0, 7)}: ${problems.length} problem${problems.length === 1 ? '' : 's'} to fix\n${problems.map((p) => `  ${p.file}${p.line ? `:${p.line}:${p.column ?? 1}` : ''}${p.key ? ` ${p.key}` : ''}: ${p.message}`).join('\n')}`);
    },
    reply: (message) => options.log({ event: 'reply', kind: message.kind }),
    revertProposed: (revert, title) => {
      options.log({ event: 'revert-proposed', branch: revert.branch, url: revert.url, title });
    },
    revertWithdrawn: (revert, reason) => {
      options.log({ event: 'revert-withdrawn', branch: revert.branch, reason });
      notice(`  revert branch ${revert.branch} deleted: ${reason}`);
    },
  };
}

/** The app's transition line (the same fields as its log), tagged for the JSON stream of `opsbox watch`. */
function transitionLogger(log: JsonLog): EngineObserver {
  return {
    transition(before, event, after) {
      const { event: on, ...line } = transitionLine(before, event, after);
      log({ event: 'transition', on, ...line, effects: after.outbox.map((e) => e.type) });
    },
  };
}

function engineLog(log: JsonLog) {
  const at = (level: string) => (obj: unknown, msg?: string) => log({ level, ...(typeof obj === 'object' && obj ? sanitize(obj as Record<string, unknown>) : { detail: String(obj) }), ...(msg ? { msg } : {}) });
  return { info: at('info'), warn: at('warn'), error: at('error'), debug: () => undefined } as never;
}

function sanitize(obj: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(obj)) out[key] = value instanceof Error ? value.message : value;
  return out;
}


function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    }
    signal.addEventListener('abort', done, { once: true });
  });
}
