import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { lockDataDir, lockHolder } from '../../src/app/data-dir-lock.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'opsbox-lock-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('lockDataDir', () => {
  it('is held by one at a time and free again once released', async () => {
    const first = await lockDataDir(dir, 'opsbox watch');
    expect(first.held).toBe(true);
    const second = await lockDataDir(dir, 'opsbox abort');
    expect(second).toMatchObject({ held: false, by: { pid: process.pid, what: 'opsbox watch' } });
    expect(await lockHolder(dir)).toMatchObject({ what: 'opsbox watch' });
    if (first.held) await first.release();
    expect(await lockHolder(dir)).toBeUndefined();
    const third = await lockDataDir(dir, 'opsbox abort');
    expect(third.held).toBe(true);
  });

  it('takes over the lock of a process that is gone', async () => {
    // a pid far above any live one on this host
    await writeFile(path.join(dir, 'opsbox.lock'), JSON.stringify({ pid: 2 ** 22 + 12345, host: os.hostname(), what: 'opsbox watch', since: 0 }));
    expect(await lockHolder(dir)).toBeUndefined();
    const attempt = await lockDataDir(dir, 'opsbox watch');
    expect(attempt.held).toBe(true);
  });
});
