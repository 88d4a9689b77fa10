/**
 * Alerts for failed rollouts, posted to Alertmanager's API v2 (`POST /api/v2/alerts`). A failing
 * rollout's alert is posted at once and again every resendInterval with endsAt three intervals
 * ahead, so Alertmanager's resolve_timeout never ends it between posts; it is resolved (endsAt =
 * now) when the rollout recovers (see alert-decisions.ts) or its revert pull request is merged.
 * Posting is retried with backoff in the background and never holds up or fails a rollback.
 * The alerts open are kept in a small file beside the rollouts, so a restart keeps re-posting them.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type { Logger } from 'pino';
import { createAllowlist, displayAddress, isAddressAllowed } from '../analysis/allowlist.js';
import type { RolloutEvent, RolloutState } from '../rollout/types.js';
import { writeAtomically } from '../state/atomic-write.js';
import { parseDuration } from '../util/duration.js';
import { alertAnnotations, alertLabels, statusCommentUrl, type PostableAlert } from './alert-content.js';
import { alertDecisions, type AlertSeverity } from './alert-decisions.js';
import type { Notifier } from './notifier.js';
import type { ForgeLinks } from '../forge/forge.js';

export const ALERTMANAGER_URL_ENV = 'OPSBOX_ALERTMANAGER_URL';
export const ALERTMANAGER_ALLOWLIST_ENV = 'OPSBOX_ALERTMANAGER_ALLOWLIST';
export const DEFAULT_RESEND_MS = 5 * 60_000;
/** endsAt is this many resend intervals ahead. */
const ENDS_AFTER_INTERVALS = 3;
const POST_TIMEOUT_MS = 10_000;
/** Attempts of one post, with backoff 1 s, 2 s, 4 s, 8 s between them. */
const MAX_ATTEMPTS = 5;
const FIRST_BACKOFF_MS = 1000;
const BOOK_FILE = 'alerts.json';

type Env = Readonly<Record<string, string | undefined>>;

/** An alert the app keeps firing. */
interface OpenAlert {
  rollout: string;
  owner: string;
  repo: string;
  service: string;
  url: string;
  severity: AlertSeverity;
  resendMs: number;
  alert: PostableAlert;
  /** A merge of this pull request resolves the alert. */
  revertPr?: number;
  postedAt: number;
}

export interface AlertmanagerOptions {
  env: Env;
  /** Links to the rollout's status (the status comment on GitHub). */
  links: ForgeLinks;
  /** Where the open alerts are kept across restarts (the data directory). */
  dataDir?: string;
  log?: Pick<Logger, 'info' | 'warn'>;
  /** Wall-clock time: Alertmanager compares startsAt and endsAt with its own clock. */
  clock?: () => number;
  sleep?: (ms: number) => Promise<void>;
  /** How often due re-posts are looked for (default 30 s); 0 leaves it to resendDue(). */
  checkEveryMs?: number;
}

/** The Authorization header from OPSBOX_ALERTMANAGER_BEARER_TOKEN or OPSBOX_ALERTMANAGER_BASIC_AUTH (`user:password`). */
export function alertmanagerAuthorization(env: Env): string | undefined {
  const token = env.OPSBOX_ALERTMANAGER_BEARER_TOKEN?.trim();
  if (token) return `Bearer ${token}`;
  const basic = env.OPSBOX_ALERTMANAGER_BASIC_AUTH;
  if (basic) return `Basic ${Buffer.from(basic, 'utf8').toString('base64')}`;
  return undefined;
}

/**
 * The Alertmanager a rollout's alerts go to: the config's `notifications.alertmanager.url` when
 * the operator's allowlist permits it, else OPSBOX_ALERTMANAGER_URL; `why` when there is none.
 */
export function alertmanagerUrlFor(state: Pick<RolloutState, 'notifications'>, env: Env): { url: string; warning?: string } | { why: string } {
  const fromEnv = env[ALERTMANAGER_URL_ENV]?.trim();
  const configured = state.notifications?.alertmanager?.url;
  if (configured) {
    const allowlist = createAllowlist(env[ALERTMANAGER_ALLOWLIST_ENV]?.split(',') ?? []);
    if (isAddressAllowed(configured, allowlist)) return { url: configured };
    const warning = `notifications.alertmanager.url ${displayAddress(configured)} is not allowed by ${ALERTMANAGER_ALLOWLIST_ENV}`;
    return fromEnv ? { url: fromEnv, warning: `${warning}; alerts go to ${ALERTMANAGER_URL_ENV}` } : { why: `${warning} and ${ALERTMANAGER_URL_ENV} is not set` };
  }
  return fromEnv ? { url: fromEnv } : { why: `${ALERTMANAGER_URL_ENV} is not set` };
}

export class AlertmanagerNotifier implements Notifier {
  private readonly open = new Map<string, OpenAlert>();
  private readonly inFlight = new Set<Promise<unknown>>();
  private readonly clock: () => number;
  private readonly sleep: (ms: number) => Promise<void>;
  private timer: NodeJS.Timeout | undefined;
  private loaded: Promise<void>;
  private stopped = false;
  /** Book writes one after another, the last one wins. */
  private saving: Promise<void> = Promise.resolve();

  constructor(private readonly options: AlertmanagerOptions) {
    this.clock = options.clock ?? Date.now;
    this.sleep = options.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms).unref()));
    this.loaded = this.load();
    const every = options.checkEveryMs ?? 30_000;
    if (every > 0) {
      this.timer = setInterval(() => this.resendDue(), every);
      this.timer.unref();
    }
  }

  transition(before: RolloutState, event: RolloutEvent, after: RolloutState): void {
    for (const decision of alertDecisions(before, event, after)) {
      if (decision.kind === 'fire') this.track(() => this.fire(after, decision.severity));
      else if (decision.kind === 'resolve') this.track(() => this.resolve((alert) => alert.rollout === after.id));
      else {
        const { owner, repo } = after.repo;
        this.track(() => this.resolve((alert) => alert.rollout !== after.id && alert.owner === owner && alert.repo === repo && alert.service === after.service));
      }
    }
  }

  merged(owner: string, repo: string, number: number): void {
    this.track(() => this.resolve((alert) => alert.owner === owner && alert.repo === repo && alert.revertPr === number));
  }

  /** Posts again every open alert whose resendInterval has passed. */
  resendDue(): void {
    this.track(async () => {
      await this.loaded;
      const now = this.clock();
      const due = [...this.open.values()].filter((alert) => now - alert.postedAt >= alert.resendMs);
      for (const alert of due) {
        alert.postedAt = now;
        alert.alert = { ...alert.alert, endsAt: iso(now + ENDS_AFTER_INTERVALS * alert.resendMs) };
      }
      if (due.length > 0) this.save();
      await Promise.all(due.map((alert) => this.post(alert.url, [alert.alert], alert.rollout)));
    });
  }

  async idle(): Promise<void> {
    for (let round = 0; round < 20 && this.inFlight.size > 0; round++) await Promise.allSettled([...this.inFlight]);
    await this.saving;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    await this.idle();
  }

  private async fire(state: RolloutState, severity: AlertSeverity): Promise<void> {
    await this.loaded;
    const target = alertmanagerUrlFor(state, this.options.env);
    if ('why' in target) {
      if (state.notifications?.alertmanager?.url) this.options.log?.warn({ rollout: state.id }, `no alert posted: ${target.why}`);
      return;
    }
    if (target.warning) this.options.log?.warn({ rollout: state.id }, target.warning);
    const existing = this.open.get(state.id);
    const now = this.clock();
    const interval = state.notifications?.alertmanager?.resendInterval;
    const resendMs = interval !== undefined ? parseDuration(interval) : DEFAULT_RESEND_MS;
    const kept = existing?.severity ?? severity;
    const alert: PostableAlert = {
      labels: alertLabels(state, kept),
      annotations: alertAnnotations(state, this.options.links),
      startsAt: existing?.alert.startsAt ?? iso(state.failure?.at ?? now),
      endsAt: iso(now + ENDS_AFTER_INTERVALS * resendMs),
      generatorURL: statusCommentUrl(state, this.options.links),
    };
    const open: OpenAlert = {
      rollout: state.id,
      owner: state.repo.owner,
      repo: state.repo.repo,
      service: state.service,
      url: target.url,
      severity: kept,
      resendMs,
      alert,
      ...(state.revert?.thread ? { revertPr: state.revert.thread.number } : {}),
      postedAt: now,
    };
    this.open.set(state.id, open);
    this.save();
    await this.post(target.url, [alert], state.id);
  }

  private async resolve(matches: (alert: OpenAlert) => boolean): Promise<void> {
    await this.loaded;
    const now = iso(this.clock());
    const resolved = [...this.open.values()].filter(matches);
    if (resolved.length === 0) return;
    for (const alert of resolved) this.open.delete(alert.rollout);
    this.save();
    await Promise.all(resolved.map((alert) => this.post(alert.url, [{ ...alert.alert, endsAt: now }], alert.rollout)));
  }

  /** One post, tried again with backoff; failures are logged, never thrown. */
  private async post(url: string, alerts: PostableAlert[], rollout: string): Promise<void> {
    const endpoint = `${url.replace(/\/+$/, '')}/api/v2/alerts`;
    const authorization = alertmanagerAuthorization(this.options.env);
    const headers: Record<string, string> = { 'content-type': 'application/json', ...(authorization ? { authorization } : {}) };
    let problem = '';
    for (let attempt = 1; attempt <= MAX_ATTEMPTS && !this.stopped; attempt++) {
      try {
        const response = await fetch(endpoint, { method: 'POST', headers, body: JSON.stringify(alerts), signal: AbortSignal.timeout(POST_TIMEOUT_MS), redirect: 'manual' });
        if (response.ok) {
          await response.arrayBuffer();
          return;
        }
        problem = `HTTP ${response.status}: ${(await response.text()).slice(0, 200)}`;
        // A request Alertmanager refuses (400, 401) will be refused again.
        if (response.status >= 400 && response.status < 500 && response.status !== 429) break;
      } catch (error) {
        const cause = (error as { cause?: { code?: unknown } }).cause;
        problem = typeof cause?.code === 'string' ? cause.code : (error as Error).message;
      }
      if (attempt < MAX_ATTEMPTS) await this.sleep(FIRST_BACKOFF_MS * 2 ** (attempt - 1));
    }
    this.options.log?.warn({ rollout, alertmanager: displayAddress(url) }, `posting the alert to Alertmanager failed: ${problem}`);
  }

  private track(work: () => Promise<void>): void {
    const task = work()
      .catch((error) => this.options.log?.warn({ err: error }, 'alerting failed'))
      .finally(() => this.inFlight.delete(task));
    this.inFlight.add(task);
  }

  private async load(): Promise<void> {
    if (!this.options.dataDir) return;
    try {
      const saved = JSON.parse(await readFile(path.join(this.options.dataDir, BOOK_FILE), 'utf8')) as { open?: OpenAlert[] };
      for (const alert of saved.open ?? []) this.open.set(alert.rollout, alert);
    } catch (error) {
      if ((error as { code?: unknown }).code !== 'ENOENT') this.options.log?.warn({ err: error }, `${BOOK_FILE} could not be read; alerts open before the restart are not re-posted`);
    }
  }

  private save(): void {
    const dir = this.options.dataDir;
    if (!dir) return;
    const text = `${JSON.stringify({ open: [...this.open.values()] })}\n`;
    this.saving = this.saving.then(() => writeAtomically(path.join(dir, BOOK_FILE), text)).catch((error) => this.options.log?.warn({ err: error }, `${BOOK_FILE} could not be written`));
  }
}

function iso(ms: number): string {
  return new Date(ms).toISOString();
}
