/**
 * Moves the file store's state (`OPSBOX_DATA_DIR`) into PostgreSQL: every rollout, running or
 * archived, every claim with its unfinished work, the ids of applied commands (stored with each
 * rollout, and recorded as claims) and the alerts still firing. Rollouts saved by an earlier version
 * are brought to today's shape on the way, as the file store does when it reads them. The data dir is only read. Running it again adds only
 * what is missing: rows already in the database are left as they are.
 */
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { readClaimJournal } from './claim-journal.js';
import { FileAlertBook } from './file-alert-book.js';
import { migrateStored } from './migrate.js';
import type { PostgresBackend } from './postgres/backend.js';
import { VersionConflictError, type StoredRollout } from './store.js';

export interface MigrationReport {
  active: number;
  archived: number;
  /** Rollouts already in the database (a second run), left as they are. */
  skippedRollouts: number;
  claims: number;
  unfinishedClaims: number;
  skippedClaims: number;
  commandIds: number;
  /** Alerts still firing, re-posted from the database from now on. */
  alerts: number;
}

export async function migrateFileState(dataDir: string, target: Pick<PostgresBackend, 'store' | 'inbox' | 'alerts'>): Promise<MigrationReport> {
  const report: MigrationReport = { active: 0, archived: 0, skippedRollouts: 0, claims: 0, unfinishedClaims: 0, skippedClaims: 0, commandIds: 0, alerts: 0 };
  const seen = new Set<string>();
  // Active files first: after a crash while archiving both copies exist, and the active one wins.
  for (const [folder, kind] of [
    ['rollouts', 'active'],
    ['archive', 'archived'],
  ] as const) {
    for (const stored of await readRollouts(path.join(dataDir, folder))) {
      if (seen.has(stored.state.id)) continue;
      seen.add(stored.state.id);
      try {
        await target.store.put(stored.state, 0);
        report[kind] += 1;
        report.commandIds += stored.state.commandIds?.length ?? 0;
      } catch (error) {
        if (!(error instanceof VersionConflictError)) throw error;
        report.skippedRollouts += 1;
      }
    }
  }
  for (const claim of await readClaimJournal(dataDir)) {
    if (await target.inbox.importClaim(claim)) {
      report.claims += 1;
      if (!claim.done && claim.work !== undefined) report.unfinishedClaims += 1;
    } else {
      report.skippedClaims += 1;
    }
  }
  for (const alert of await (await FileAlertBook.open(dataDir)).list()) {
    if (await target.alerts.get(alert.rollout)) continue;
    await target.alerts.put(alert);
    report.alerts += 1;
  }
  return report;
}

async function readRollouts(dir: string): Promise<StoredRollout[]> {
  let names: string[];
  try {
    names = await readdir(dir);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw error;
  }
  const rollouts: StoredRollout[] = [];
  for (const name of names.sort()) {
    if (!name.endsWith('.json')) continue; // leftovers of an interrupted write end in .tmp
    const file = path.join(dir, name);
    try {
      rollouts.push(migrateStored(JSON.parse(await readFile(file, 'utf8'))));
    } catch (error) {
      throw new Error(`${file}: not a stored rollout (${(error as Error).message}); move it out of the data dir and run again`);
    }
  }
  return rollouts;
}
