import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from '@jest/globals';
import { databaseUrlFromEnv, DEFAULT_LEASE_MS, leaseMsFromEnv, openStateBackend } from '../../src/state/open-backend.js';

describe('choosing the state backend', () => {
  it('keeps the file store when only libpq variables are set: a stray PGHOST never switches stores', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'opsbox-backend-'));
    try {
      const backend = await openStateBackend({ env: { PGHOST: '127.0.0.1', PGDATABASE: 'opsbox', PGUSER: 'opsbox', DATABASE_URL: ' ' }, dataDir: dir });
      expect(backend.kind).toBe('file');
      await backend.close();
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('takes postgres:// and postgresql:// URLs from DATABASE_URL', () => {
    expect(databaseUrlFromEnv({ DATABASE_URL: 'postgres://u:p@db:5432/opsbox' })).toBe('postgres://u:p@db:5432/opsbox');
    expect(databaseUrlFromEnv({ DATABASE_URL: 'postgresql://db/opsbox' })).toBe('postgresql://db/opsbox');
    expect(databaseUrlFromEnv({})).toBeUndefined();
  });

  it('refuses a DATABASE_URL of another database, saying what to set', () => {
    expect(() => databaseUrlFromEnv({ DATABASE_URL: 'mysql://db/opsbox' })).toThrow(/DATABASE_URL must be a postgres:\/\/ .*found "mysql:".*unset it/);
    expect(() => databaseUrlFromEnv({ DATABASE_URL: 'db.internal' })).toThrow(/found no scheme/);
  });

  it('reads the lease length from OPSBOX_LEASE_SECONDS, 30 s by default', () => {
    expect(leaseMsFromEnv({})).toBe(DEFAULT_LEASE_MS);
    expect(leaseMsFromEnv({ OPSBOX_LEASE_SECONDS: '2' })).toBe(2000);
    expect(() => leaseMsFromEnv({ OPSBOX_LEASE_SECONDS: '0.1' })).toThrow(/OPSBOX_LEASE_SECONDS="0.1" is not a number of seconds from 1 to 3600/);
  });
});
