/**
 * Alerts for failed rollouts, posted to Alertmanager's API v2 (`POST /api/v2/alerts`). A failing
 * rollout's alert is posted at once and again every resendInterval with endsAt three intervals
 * ahead, so Alertmanager's resolve_timeout never ends it between posts; it is resolved (endsAt =
 * now) when the rollout recovers (see alert-decisions.ts) or its revert pull request is merged.
 * Posting is retried with backoff in the background and never holds up or fails a rollback.
 * The alerts open are kept in the state backend's alert book, which every replica shares: any
 * replica re-posts what is due (a restart or the death of the one that fired loses nothing) and
 * any replica resolves, whichever fired it.
 */
import type { Logger } from 'pino';
import { createAllowlist, displayAddress, isAddressAllowed } from '../analysis/allowlist.js';
import type { RolloutEvent, RolloutState } from '../rollout/types.js';
import type { AlertBook, BookedAlert } from '../state/alert-book.js';
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

type Env = Readonly<Record<string, string | undefined>>;

export interface AlertmanagerOptions {
  env: Env;
  /** Links to the rollout's status (the status comment on GitHub). */
  links: ForgeLinks;
  /** Where the open alerts are kept, shared by every replica (the state backend's book). */
  book: AlertBook;
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
  private readonly inFlight = new Set<Promise<unknown>>();
  private readonly clock: () => number;
  private readonly sleep: (ms: number) => Promise<void>;
  private readonly book: AlertBook;
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;

  constructor(private readonly options: AlertmanagerOptions) {
    this.clock = options.clock ?? Date.now;
    this.sleep = options.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms).unref()));
    this.book = options.book;
    const every = options.checkEveryMs ?? 30_000;
    if (every > 0) {
      this.timer = setInterval(() => this.resendDue(), every);
      this.timer.unref();
    }
  }

  transition(before: RolloutState, event: RolloutEvent, after: RolloutState): void {
    for (const decision of alertDecisions(before, event, after)) {
      if (decision.kind === 'fire') this.track(() => this.fire(after, decision.severity));
      else if (decision.kind === 'resolve') this.track(() => this.resolve([after.id]));
      else {
        const { owner, repo } = after.repo;
        this.track(async () => this.resolve(await this.find((alert) => alert.rollout !== after.id && alert.owner === owner && alert.repo === repo && alert.service === after.service)));
      }
    }
  }

  /** Resolves the alerts whose revert pull request this is, whichever replica fired them. */
  merged(owner: string, repo: string, number: number): void {
    this.track(async () => this.resolve(await this.find((alert) => alert.owner === owner && alert.repo === repo && alert.revertPr === number)));
  }

  /**
   * Posts again every open alert of the book whose resendInterval has passed. Each re-post is first
   * recorded in the book against the postedAt just read, so of replicas ticking together one posts
   * it, and an alert resolved since the read is not posted.
   */
  resendDue(): void {
    this.track(async () => {
      const now = this.clock();
      const due = (await this.book.list()).filter((alert) => now - alert.postedAt >= alert.resendMs);
      const posts: Promise<void>[] = [];
      for (const alert of due) {
        const next: BookedAlert = { ...alert, postedAt: now, alert: { ...alert.alert, endsAt: iso(now + ENDS_AFTER_INTERVALS * alert.resendMs) } };
        if (await this.book.replaceIfPostedAt(next, alert.postedAt)) posts.push(this.postFiring(next));
      }
      await Promise.all(posts);
    });
  }

  async idle(): Promise<void> {
    for (let round = 0; round < 20 && this.inFlight.size > 0; round++) await Promise.allSettled([...this.inFlight]);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    await this.idle();
  }

  private async fire(state: RolloutState, severity: AlertSeverity): Promise<void> {
    const target = alertmanagerUrlFor(state, this.options.env);
    if ('why' in target) {
      if (state.notifications?.alertmanager?.url) this.options.log?.warn({ rollout: state.id }, `no alert posted: ${target.why}`);
      return;
    }
    if (target.warning) this.options.log?.warn({ rollout: state.id }, target.warning);
    const existing = await this.book.get(state.id).catch(() => undefined);
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
    const open: BookedAlert = {
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
    try {
      await this.book.put(open);
    } catch (error) {
      // Posted all the same: an alert once is better than none.
      this.options.log?.warn({ err: error, rollout: state.id }, 'the alert could not be written to the alert book; it is posted but not re-posted');
      await this.post(open.url, [alert], state.id);
      return;
    }
    await this.postFiring(open);
  }

  /** The rollouts of the open alerts that match. */
  private async find(matches: (alert: BookedAlert) => boolean): Promise<string[]> {
    return (await this.book.list()).filter(matches).map((alert) => alert.rollout);
  }

  /** Removes the rollouts' alerts from the book and posts their end; an alert another replica removed first, that replica posts. */
  private async resolve(rollouts: string[]): Promise<void> {
    const removed = (await Promise.all(rollouts.map((rollout) => this.book.remove(rollout)))).filter((alert) => alert !== undefined);
    const now = iso(this.clock());
    await Promise.all(removed.map((alert) => this.post(alert.url, [{ ...alert.alert, endsAt: now }], alert.rollout)));
  }

  /**
   * Posts an alert that is open, each attempt only while the book still holds it. A resolve on
   * another replica may land while the post is under way: then the end is posted again after it,
   * so Alertmanager's last word is the resolution.
   */
  private async postFiring(open: BookedAlert): Promise<void> {
    // A book that cannot be read (the database is away) leaves the alert as it was: open.
    const stillOpen = () => this.book.get(open.rollout).then((alert) => alert !== undefined, () => true);
    if (!(await this.post(open.url, [open.alert], open.rollout, stillOpen))) return;
    if (!(await stillOpen())) await this.post(open.url, [{ ...open.alert, endsAt: iso(this.clock()) }], open.rollout);
  }

  /** One post, tried again with backoff (each attempt only if `proceed` says so); failures are logged, never thrown. True when it was delivered. */
  private async post(url: string, alerts: PostableAlert[], rollout: string, proceed?: () => Promise<boolean>): Promise<boolean> {
    const endpoint = `${url.replace(/\/+$/, '')}/api/v2/alerts`;
    const authorization = alertmanagerAuthorization(this.options.env);
    const headers: Record<string, string> = { 'content-type': 'application/json', ...(authorization ? { authorization } : {}) };
    let problem = '';
    for (let attempt = 1; attempt <= MAX_ATTEMPTS && !this.stopped; attempt++) {
      if (proceed && !(await proceed())) return false;
      try {
        const response = await fetch(endpoint, { method: 'POST', headers, body: JSON.stringify(alerts), signal: AbortSignal.timeout(POST_TIMEOUT_MS), redirect: 'manual' });
        if (response.ok) {
          await response.arrayBuffer();
          return true;
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
    return false;
  }

  private track(work: () => Promise<void>): void {
    const task = work()
      .catch((error) => this.options.log?.warn({ err: error }, 'alerting failed'))
      .finally(() => this.inFlight.delete(task));
    this.inFlight.add(task);
  }
}

function iso(ms: number): string {
  return new Date(ms).toISOString();
}
