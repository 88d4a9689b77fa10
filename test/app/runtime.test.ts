import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { pino } from 'pino';
import { Runtime } from '../../src/app/runtime.js';
import { githubRepoRef, type InstallationOctokit } from '../../src/forge/github/github-forge.js';

/** GitHub answering 503 to everything, as an installation client. */
const unavailable = {
  request: async () => {
    throw Object.assign(new Error('Service Unavailable'), { status: 503, response: { data: { message: 'Service Unavailable' } } });
  },
} as unknown as InstallationOctokit;

describe('accepted work that cannot read the repository', () => {
  let dataDir: string;
  let runtime: Runtime;
  const lines: Array<{ level: number; msg: string; attempts?: number }> = [];

  beforeEach(async () => {
    dataDir = await mkdtemp(path.join(tmpdir(), 'opsbox-runtime-'));
    const log = pino({ level: 'info' }, { write: (line: string) => void lines.push(JSON.parse(line)) });
    runtime = await Runtime.create({
      dataDir,
      env: {},
      auth: async () => unavailable,
      appLogin: async () => 'opsbox-canary[bot]',
      log,
      schedule: false,
    });
  });

  afterEach(async () => {
    await runtime.stop();
    await rm(dataDir, { recursive: true, force: true });
  });

  it('keeps the merge to try again and says so in the log', async () => {
    const merge = {
      repo: githubRepoRef({ installationId: 1, owner: 'acme', repo: 'manifests', defaultBranch: 'main' }),
      number: 7,
      title: 'Bump api',
      url: 'https://github.com/acme/manifests/pull/7',
      mergeSha: 'a'.repeat(40),
    };
    const key = `merge:acme/manifests:${merge.mergeSha}`;
    expect(await runtime.inbox.claimOnce(key, merge)).toBe(true);
    runtime.startForMerge(key, merge);
    await runtime.idle();
    await runtime.retryUnfinishedWork();
    await runtime.idle();

    expect((await runtime.inbox.unfinishedWork()).map((work) => work.key)).toEqual([key]);
    const retries = lines.filter((line) => line.msg.includes('will try again'));
    expect(retries.map((line) => line.msg)).toEqual([
      'starting rollouts for #7: the repository could not be read (attempt 1 of 10); will try again',
      'starting rollouts for #7: the repository could not be read (attempt 2 of 10); will try again',
    ]);
    expect(lines.some((line) => line.level >= 50)).toBe(false);
  });

  it('leaves claimed work alone while another holder has its lock, and once it is finished elsewhere', async () => {
    const merge = {
      repo: githubRepoRef({ installationId: 1, owner: 'acme', repo: 'manifests', defaultBranch: 'main' }),
      number: 8,
      title: 'Bump web',
      url: 'https://github.com/acme/manifests/pull/8',
      mergeSha: 'b'.repeat(40),
    };
    const key = `merge:acme/manifests:${merge.mergeSha}`;
    await runtime.inbox.claimOnce(key, merge);
    const tried = () => lines.filter((line) => line.msg.startsWith('starting rollouts for #8')).length;
    // another holder (a second replica, with a shared lock port) is at it
    await runtime.locks.withLock(`work:${key}`, async () => {
      runtime.startForMerge(key, merge);
      await new Promise((resolve) => setTimeout(resolve, 50));
    });
    await runtime.idle();
    expect(tried()).toBe(0);
    // and finished it: the retry pass does not run it again
    await runtime.inbox.finishWork(key);
    runtime.startForMerge(key, merge);
    await runtime.idle();
    expect(tried()).toBe(0);
  });
});
