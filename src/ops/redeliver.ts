/**
 * Deliveries missed while no process ran (a crash, a lost node): GitHub records every delivery and
 * its outcome but never sends a failed one again by itself. At start the app lists the deliveries of
 * the last 24 hours and asks for a redelivery of each one that no attempt delivered.
 *
 * "Delivered" means the app answered 2xx, which it does only once the delivery is claimed durably;
 * a delivery that failed at GitHub's end after the claim (the answer came too late) is redelivered
 * too and then does nothing, since every claim is keyed by what it is about (merge commit, comment).
 */
import type { Logger } from 'pino';

export interface AppOctokit {
  request(route: string, parameters?: Record<string, unknown>): Promise<{ status: number; data: unknown; headers: Record<string, unknown> }>;
}

interface DeliverySummary {
  id: number;
  guid: string;
  delivered_at: string;
  status_code: number;
  event: string;
  action?: string | null;
}

export interface RedeliveryOptions {
  now?: number;
  /** How far back to look (default 24 h). */
  windowMs?: number;
  log?: Pick<Logger, 'info' | 'warn'>;
  /** Bounds: pages listed (of 100) and redeliveries asked for. */
  maxPages?: number;
  maxRedeliveries?: number;
}

export const REDELIVERY_WINDOW_MS = 24 * 3600 * 1000;

export interface RedeliveryReport {
  listed: number;
  /** GUIDs asked to be redelivered. */
  redelivered: string[];
  /** GUIDs whose redelivery request GitHub refused. */
  refused: string[];
}

export async function redeliverMissed(octokit: AppOctokit, options: RedeliveryOptions = {}): Promise<RedeliveryReport> {
  const now = options.now ?? Date.now();
  const since = now - (options.windowMs ?? REDELIVERY_WINDOW_MS);
  const recent = await listSince(octokit, since, options.maxPages ?? 20);
  const attempts = new Map<string, DeliverySummary[]>();
  for (const delivery of recent) attempts.set(delivery.guid, [...(attempts.get(delivery.guid) ?? []), delivery]);

  const report: RedeliveryReport = { listed: recent.length, redelivered: [], refused: [] };
  for (const [guid, tries] of attempts) {
    if (tries.some(delivered)) continue;
    if (report.redelivered.length >= (options.maxRedeliveries ?? 500)) {
      options.log?.warn(`more than ${options.maxRedeliveries ?? 500} missed deliveries; the rest are left for the next start`);
      break;
    }
    // the newest attempt (the list is newest first)
    const latest = tries[0];
    try {
      await octokit.request('POST /app/hook/deliveries/{delivery_id}/attempts', { delivery_id: latest.id });
      report.redelivered.push(guid);
    } catch (error) {
      report.refused.push(guid);
      options.log?.warn({ delivery: guid, event: latest.event, err: (error as Error).message }, 'GitHub refused to redeliver a missed webhook delivery');
    }
  }
  if (report.redelivered.length > 0) {
    options.log?.info({ redelivered: report.redelivered.length }, 'asked GitHub to redeliver webhook deliveries missed while the app was down');
  }
  return report;
}

function delivered(delivery: DeliverySummary): boolean {
  return delivery.status_code >= 200 && delivery.status_code < 300;
}

/** Deliveries newer than `since`, newest first, following GitHub's cursor pages (bounded). */
async function listSince(octokit: AppOctokit, since: number, maxPages: number): Promise<DeliverySummary[]> {
  const found: DeliverySummary[] = [];
  let cursor: string | undefined;
  for (let page = 0; page < maxPages; page++) {
    const response = await octokit.request('GET /app/hook/deliveries', { per_page: 100, ...(cursor ? { cursor } : {}) });
    const deliveries = response.data as DeliverySummary[];
    for (const delivery of deliveries) {
      if (Date.parse(delivery.delivered_at) < since) return found;
      found.push(delivery);
    }
    cursor = nextCursor(response.headers.link);
    if (!cursor || deliveries.length === 0) break;
  }
  return found;
}

export function nextCursor(link: unknown): string | undefined {
  if (typeof link !== 'string') return undefined;
  const next = link.split(',').find((part) => /rel="next"/.test(part));
  const url = next?.match(/<([^>]+)>/)?.[1];
  return url ? (new URL(url).searchParams.get('cursor') ?? undefined) : undefined;
}
