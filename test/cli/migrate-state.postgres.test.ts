/** `opsbox migrate-state` from a real file store into a throwaway PostgreSQL. */
import { copyFile, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, expect, it } from '@jest/globals';
import { migrateStateCommand } from '../../src/cli/migrate-state.js';
import { serviceSchema } from '../../src/config/opsbox.schema.js';
import { newRollout } from '../../src/rollout/new-rollout.js';
import type { RolloutState } from '../../src/rollout/types.js';
import { FileRolloutStore } from '../../src/state/file-store.js';
import { openPostgresBackend } from '../../src/state/postgres/backend.js';
import { describeWithPostgres } from '../support/describe-with-postgres.js';
import { nextDatabaseName } from '../support/postgres.js';
import { runCommand } from './support.js';
import { bookedAlert } from '../state/alert-book.contract.js';
import { githubRepoRef } from '../../src/forge/github/github-forge.js';

const DAY = 86_400_000;

const serviceConfig = serviceSchema.parse({
  image: 'ghcr.io/acme/api',
  canary: { file: 'canary.yaml' },
  stable: { file: 'stable.yaml' },
  traffic: { provider: 'smi', file: 'split.yaml', stable: 'api-stable', canary: 'api-canary' },
  steps: [{ setWeight: 10 }],
});

function rollout(number: number, startedAt: number, patch: Partial<RolloutState> = {}): RolloutState {
  const state = newRollout(
    {
      id: `acme/manifests#${number}/api`,
      repo: githubRepoRef({ installationId: 1, owner: 'acme', repo: 'manifests', defaultBranch: 'main' }),
      service: 'api',
      serviceConfig,
      from: 'v1',
      to: 'v2',
      source: { number, title: 'Bump', url: `https://github.com/acme/manifests/pull/${number}`, mergeSha: 'abc' },
      analyses: {},
      templatePaths: [],
    },
    startedAt,
  );
  return { ...state, ...patch };
}

describeWithPostgres('opsbox migrate-state into PostgreSQL', (cluster) => {
  let dataDir: string;
  beforeAll(async () => {
    dataDir = await mkdtemp(path.join(tmpdir(), 'opsbox-migrate-'));
  });
  afterAll(async () => {
    await rm(dataDir, { recursive: true, force: true });
  });

  it('copies running and archived rollouts, claims with their work and command ids, and only what is missing on a second run', async () => {
    const now = 100 * DAY;
    const files = await FileRolloutStore.open(dataDir, { clock: () => now, retentionMs: 30 * DAY });
    await files.put(rollout(1, now - 50 * DAY, { phase: 'Aborted', finishedAt: now - 40 * DAY, revert: { branch: 'opsbox/revert/api-v2', url: 'https://github.com/acme/manifests/pull/9', label: '#9', thread: { number: 9 }, native: { number: 9 } } }), 0);
    await files.put(rollout(2, now - DAY, { weight: 10, wakeAt: now + 60_000, commandIds: ['5001', '5002'] }), 0);
    expect(await files.archiveEnded()).toBe(1);
    await files.claimOnce('merge:acme/manifests:done', { number: 1 });
    await files.finishWork('merge:acme/manifests:done');
    await files.claimOnce('comment:acme/manifests:5003', { command: 'promote' });
    await files.close();

    const url = await cluster().createDatabase(nextDatabaseName());
    const first = await runCommand(migrateStateCommand, ['--to', url], { env: { OPSBOX_DATA_DIR: dataDir } });
    expect(first.stderr).toBe('');
    expect(first.code).toBe(0);
    expect(first.stdout).toContain('copied 2 rollout(s) (1 running or recent, 1 archived) with 2 command id(s), 2 claim(s) (1 with work still to do)');

    const db = await openPostgresBackend({ connectionString: url, leaseMs: 30_000 });
    try {
      expect((await db.store.list()).map((r) => r.id)).toEqual(['acme/manifests#2/api', 'acme/manifests#1/api']);
      expect((await db.store.get('acme/manifests#2/api'))?.state.commandIds).toEqual(['5001', '5002']);
      expect((await db.store.forPullRequest('acme', 'manifests', 9)).map((r) => r.id)).toEqual(['acme/manifests#1/api']);
      expect(await db.store.dueIds(now + 60_000)).toEqual(['acme/manifests#2/api']);
      // redeliveries stay refused, the unfinished command is still to run
      expect(await db.inbox.claimOnce('merge:acme/manifests:done')).toBe(false);
      expect(await db.inbox.unfinishedWork()).toEqual([{ key: 'comment:acme/manifests:5003', work: { command: 'promote' } }]);
      const commands = await db.pool.query("SELECT key FROM opsbox_claims WHERE key LIKE 'command:%' ORDER BY key");
      expect(commands.rows.map((row) => row.key)).toEqual(['command:acme/manifests#2/api:5001', 'command:acme/manifests#2/api:5002']);
    } finally {
      await db.close();
    }

    const again = await runCommand(migrateStateCommand, ['--to', url, '--from', dataDir], { env: {} });
    expect(again.code).toBe(0);
    expect(again.stdout).toContain('copied 0 rollout(s)');
    expect(again.stdout).toContain('left 2 rollout(s) and 2 claim(s) alone: the database has them already');
  });

  it('brings rollouts saved by an earlier version to today\'s shape, and copies the alerts still firing', async () => {
    const oldDir = await mkdtemp(path.join(tmpdir(), 'opsbox-migrate-old-'));
    try {
      await mkdir(path.join(oldDir, 'rollouts'));
      // written by the version before the forge port: GitHub ids at the top of the state
      await copyFile(new URL('../fixtures/state/aborted-with-revert.json', import.meta.url), path.join(oldDir, 'rollouts', 'old.json'));
      const firing = bookedAlert('acme/manifests#1/api', { revertPr: 2 });
      await writeFile(path.join(oldDir, 'alerts.json'), JSON.stringify({ open: [firing] }));

      const url = await cluster().createDatabase(nextDatabaseName());
      const result = await runCommand(migrateStateCommand, ['--to', url, '--from', oldDir], { env: {} });
      expect(result.stderr).toBe('');
      expect(result.stdout).toContain('and 1 firing alert(s)');

      const db = await openPostgresBackend({ connectionString: url, leaseMs: 30_000 });
      try {
        const state = (await db.store.get('acme/manifests#1/api'))!.state as RolloutState & Record<string, unknown>;
        expect(state.repo).toMatchObject({ forge: 'github', key: 'acme/manifests', native: { installationId: 7777 } });
        expect(state.revert?.thread?.number).toBeGreaterThan(0);
        expect(state).not.toHaveProperty('installationId');
        expect(state).not.toHaveProperty('revertPr');
        expect(state).not.toHaveProperty('statusCommentId');
        // the revert pull request's number is indexed as before
        expect((await db.store.forPullRequest('acme', 'manifests', state.revert!.thread!.number)).map((r) => r.id)).toEqual(['acme/manifests#1/api']);
        expect(await db.alerts.get('acme/manifests#1/api')).toEqual(firing);
      } finally {
        await db.close();
      }
    } finally {
      await rm(oldDir, { recursive: true, force: true });
    }
  });
});
