/** `opsbox migrate-state --to postgres://…`: moves the file store's state into PostgreSQL. */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { migrateFileState } from '../state/migrate-state.js';
import { databaseUrlFromEnv, DEFAULT_LEASE_MS } from '../state/open-backend.js';
import { EXIT_INVALID, EXIT_OK, EXIT_USAGE, type CliIO } from './io.js';

const USAGE = `Usage: opsbox migrate-state --to postgres://USER:PASSWORD@HOST:5432/DATABASE [--from DIR]

Copies the file store's state into PostgreSQL: every rollout (running and archived), every claim
(so redelivered webhooks stay refused) with the work not finished yet, and the ids of applied
commands. The schema is created if needed. DIR is the data dir (default: OPSBOX_DATA_DIR, else
.data); it is only read. Stop the app first (scale it to 0), then start it with DATABASE_URL set.
Running it again copies only what is missing.
`;

export async function migrateStateCommand(argv: string[], io: CliIO): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({ args: argv, options: { to: { type: 'string' }, from: { type: 'string' }, help: { type: 'boolean', short: 'h' } } });
  } catch (error) {
    io.stderr.write(`opsbox migrate-state: ${(error as Error).message}\n\n${USAGE}`);
    return EXIT_USAGE;
  }
  if (parsed.values.help) {
    io.stdout.write(USAGE);
    return EXIT_OK;
  }
  let url: string | undefined;
  try {
    url = databaseUrlFromEnv({ DATABASE_URL: parsed.values.to });
  } catch (error) {
    io.stderr.write(`opsbox migrate-state: --to: ${(error as Error).message.replace(/^DATABASE_URL/, 'the URL')}\n`);
    return EXIT_USAGE;
  }
  if (!url) {
    io.stderr.write(`opsbox migrate-state: --to is required\n\n${USAGE}`);
    return EXIT_USAGE;
  }
  const dataDir = path.resolve(parsed.values.from ?? (io.env.OPSBOX_DATA_DIR || '.data'));
  if (!existsSync(path.join(dataDir, 'rollouts')) && !existsSync(path.join(dataDir, 'claims.jsonl'))) {
    io.stderr.write(`opsbox migrate-state: ${dataDir} holds no file store (no rollouts/ folder, no claims.jsonl); pass the data dir with --from\n`);
    return EXIT_INVALID;
  }
  const { openPostgresBackend } = await import('../state/postgres/backend.js');
  let backend;
  try {
    backend = await openPostgresBackend({ connectionString: url, leaseMs: DEFAULT_LEASE_MS, poolSize: 2 });
  } catch (error) {
    io.stderr.write(`opsbox migrate-state: ${(error as Error).message}\n`);
    return EXIT_INVALID;
  }
  try {
    const report = await migrateFileState(dataDir, backend);
    io.stdout.write(
      `copied ${report.active + report.archived} rollout(s) (${report.active} running or recent, ${report.archived} archived) with ${report.commandIds} command id(s), ` +
        `${report.claims} claim(s) (${report.unfinishedClaims} with work still to do) and ${report.alerts} firing alert(s) from ${dataDir}\n`,
    );
    if (report.skippedRollouts + report.skippedClaims > 0) {
      io.stdout.write(`left ${report.skippedRollouts} rollout(s) and ${report.skippedClaims} claim(s) alone: the database has them already\n`);
    }
    return EXIT_OK;
  } catch (error) {
    io.stderr.write(`opsbox migrate-state: ${(error as Error).message}\n`);
    return EXIT_INVALID;
  } finally {
    await backend.close();
  }
}
