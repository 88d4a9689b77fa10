import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from '@jest/globals';
import { migrateStateCommand } from '../../src/cli/migrate-state.js';
import { main } from '../../src/cli/main.js';
import { runCommand } from './support.js';

describe('opsbox migrate-state: usage', () => {
  it('needs --to, and says so', async () => {
    const run = await runCommand(migrateStateCommand, [], { env: {} });
    expect(run.code).toBe(4);
    expect(run.stderr).toContain('--to is required');
  });

  it('refuses a URL of another database', async () => {
    const run = await runCommand(migrateStateCommand, ['--to', 'mysql://db/opsbox'], { env: {} });
    expect(run.code).toBe(4);
    expect(run.stderr).toMatch(/--to: the URL must be a postgres:\/\//);
  });

  it('says where it looked when the folder holds no file store, before connecting anywhere', async () => {
    const empty = await mkdtemp(path.join(tmpdir(), 'opsbox-migrate-'));
    try {
      const run = await runCommand(migrateStateCommand, ['--to', 'postgres://127.0.0.1:1/none', '--from', empty], { env: {} });
      expect(run.code).toBe(1);
      expect(run.stderr).toContain(`${empty} holds no file store`);
    } finally {
      await rm(empty, { recursive: true, force: true });
    }
  });

  it('is listed by opsbox --help', async () => {
    const run = await runCommand(main, ['--help'], { env: {} });
    expect(run.stdout).toContain('migrate-state');
  });
});
