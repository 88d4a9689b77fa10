/**
 * `opsbox watch` end to end on real git: a bare remote in a temporary folder, a person who pushes
 * while the watch pushes, commands from the CLI while the watch runs, and a watch process killed
 * mid-rollout and started again.
 */
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { GitWatch } from '../../src/app/git-watch.js';
import { rolloutCommand } from '../../src/cli/watch.js';
import { DEMO_TEMPLATE_DIR } from '../../src/demo/run-demo.js';
import type { RolloutState } from '../../src/rollout/types.js';
import { FileRolloutStore } from '../../src/state/file-store.js';
import { createGitRemote, type GitRemoteFixture } from '../support/git-remote.js';

const BIN = fileURLToPath(new URL('../../bin/opsbox.js', import.meta.url));

function config(steps: string): string {
  return `analysisTemplates: [analysis/]
services:
  shop:
    image: registry.example/shop
    canary: { file: apps/shop/canary.yaml }
    stable: { file: apps/shop/stable.yaml }
    traffic: { provider: istio, file: apps/shop/virtualservice.yaml, name: shop, stable: shop-stable, canary: shop-canary }
    steps:
${steps}
    sync: { delay: 0s }
`;
}

let remote: GitRemoteFixture;
let dataDir: string;

beforeEach(async () => {
  dataDir = await mkdtemp(path.join(os.tmpdir(), 'opsbox-watch-data-'));
});

afterEach(async () => {
  await remote?.cleanup();
  await rm(dataDir, { recursive: true, force: true });
});

async function bump(version: string): Promise<string> {
  const canary = await remote.read('apps/shop/canary.yaml');
  return remote.personCommits({ 'apps/shop/canary.yaml': canary.replace(/shop:[\d.]+/, `shop:${version}`) }, `chore(deps): update shop to ${version}`);
}

/** Polls until `ready` (bounded by count and time). */
async function waitFor<T>(what: string, check: () => Promise<T | undefined | false>, timeoutMs = 40_000): Promise<T> {
  const until = Date.now() + timeoutMs;
  for (let round = 0; round < 1000 && Date.now() < until; round++) {
    const value = await check();
    if (value) return value;
    await new Promise((resolve) => setTimeout(resolve, 150));
  }
  throw new Error(`timed out waiting for ${what}`);
}

function io(env: Record<string, string>) {
  const out = { stdout: '', stderr: '' };
  return {
    out,
    io: { stdout: { write: (t: string) => (out.stdout += t) }, stderr: { write: (t: string) => (out.stderr += t) }, env: { ...env, USER: 'alice' } },
  };
}

describe('opsbox watch (in process)', () => {
  it('retries a push the person raced, holds at a pause step, and obeys CLI commands given while it runs', async () => {
    remote = await createGitRemote({ fromDir: DEMO_TEMPLATE_DIR, files: { '.github/opsbox.yml': config('      - setWeight: 20\n      - pause: {}\n      - setWeight: 60') } });
    const log: Record<string, unknown>[] = [];
    const watch = await GitWatch.open({ dataDir, remote: remote.remote, branch: 'main', intervalMs: 1000, env: {}, log: (line) => log.push(line), coalesceMs: 0 });
    try {
      await watch.poll();
      await bump('1.6.0');

      // The person pushes right after the watch fetched for its first weight commit.
      const fetch = watch.repository.fetch.bind(watch.repository);
      let raced = false;
      let fetches = 0;
      watch.repository.fetch = async () => {
        const head = await fetch();
        if (++fetches === 2 && !raced) {
          raced = true;
          await remote.personCommits({ 'README.md': 'Manifests of the shop.\n' }, 'docs: a readme');
        }
        return head;
      };
      const [id] = await watch.poll();
      expect(id).toMatch(/^git:remote-[0-9a-f]{8}@[0-9a-f]{12}\/shop$/);
      const paused = await waitFor('the pause step', async () => {
        await watch.step();
        const state = (await watch.store.get(id))?.state;
        return state?.phase === 'Paused' && state.outbox.length === 0 ? state : undefined;
      });
      expect(raced).toBe(true);
      expect(log.some((line) => line.event === 'push-refused')).toBe(true);
      expect(paused).toMatchObject({ pauseReason: 'step', weight: 20 });
      expect(await remote.subjects()).toEqual(['Initial manifests', 'chore(deps): update shop to 1.6.0', 'docs: a readme', 'canary(shop): weight 20% → 1.6.0']);
      expect(await remote.show('README.md')).toBe('Manifests of the shop.\n');

      // Commands while the watch holds the data dir go through its inbox.
      const env = { OPSBOX_DATA_DIR: dataDir };
      const runWhileWatching = async (name: 'status' | 'promote' | 'pause', extra: string[] = []) => {
        const cli = io(env);
        let code: number | undefined;
        const done = rolloutCommand(name, ['--repo', remote.remote, '--service', 'shop', '--wait', '20s', ...extra], cli.io).then((c) => (code = c));
        await waitFor(`${name} answered`, async () => {
          await watch.step();
          return code !== undefined;
        });
        await done;
        return { code, ...cli.out };
      };
      const status = await runWhileWatching('status');
      expect(status.code).toBe(0);
      expect(status.stdout).toBe('shop 1.4.0 → 1.6.0: Paused (step), step 2/3, canary weight 20%\n');

      const promote = await runWhileWatching('promote');
      expect(promote.code).toBe(0);
      const done = await waitFor('the promotion', async () => {
        await watch.step();
        const state = (await watch.store.get(id))?.state;
        return state?.phase === 'Succeeded' && state.outbox.length === 0 ? state : undefined;
      });
      expect(done.history.some((entry) => entry.actor === 'alice')).toBe(true);
      expect(await remote.subjects()).toEqual([
        'Initial manifests',
        'chore(deps): update shop to 1.6.0',
        'docs: a readme',
        'canary(shop): weight 20% → 1.6.0',
        'canary(shop): weight 60% → 1.6.0',
        'canary(shop): promote 1.6.0 to stable, weight 0%',
      ]);
      expect(await remote.show('apps/shop/stable.yaml')).toContain('shop:1.6.0');

      // A command that does not apply says why and exits 1.
      const late = await runWhileWatching('pause');
      expect(late.code).toBe(1);
      expect(late.stderr).not.toBe('');
    } finally {
      await watch.close();
    }
  }, 90_000);

  it('applies a command itself when no watch runs, through the same store', async () => {
    remote = await createGitRemote({ fromDir: DEMO_TEMPLATE_DIR, files: { '.github/opsbox.yml': config('      - setWeight: 30\n      - pause: {}\n      - setWeight: 70') } });
    const watch = await GitWatch.open({ dataDir, remote: remote.remote, branch: 'main', intervalMs: 1000, env: {}, log: () => undefined, coalesceMs: 0 });
    let id: string;
    try {
      await watch.poll();
      await bump('1.7.0');
      [id] = await watch.poll();
      await waitFor('the pause step', async () => {
        await watch.step();
        const state = (await watch.store.get(id))?.state;
        return state?.phase === 'Paused' && state.outbox.length === 0;
      });
    } finally {
      await watch.close();
    }
    // No watch now: `opsbox abort` takes the data dir, rolls back and pushes the revert branch.
    const cli = io({ OPSBOX_DATA_DIR: dataDir });
    expect(await rolloutCommand('abort', ['--repo', remote.remote, '--service', 'shop'], cli.io)).toBe(0);
    expect(cli.out.stdout).toMatch(/^abort: shop 1\.4\.0 → 1\.7\.0: Aborted, canary weight 0%, revert branch opsbox\/revert\/shop-1\.7\.0\n$/);
    expect(await remote.subjects()).toEqual(['Initial manifests', 'chore(deps): update shop to 1.7.0', 'canary(shop): weight 30% → 1.7.0', 'canary(shop): roll back 1.7.0, weight 0% (traffic to stable 1.4.0)']);
    expect(await remote.show('apps/shop/canary.yaml', 'opsbox/revert/shop-1.7.0')).toContain('shop:1.4.0');
    const store = await FileRolloutStore.open(dataDir);
    try {
      expect((await store.get(id!))?.state.phase).toBe('Aborted');
    } finally {
      await store.close();
    }
  }, 90_000);
});

describe('opsbox watch (bumps)', () => {
  it('supersedes a running canary with a newer bump, and ignores commits that change no canary tag', async () => {
    remote = await createGitRemote({ fromDir: DEMO_TEMPLATE_DIR, files: { '.github/opsbox.yml': config('      - setWeight: 25\n      - pause: {}\n      - setWeight: 75') } });
    const watch = await GitWatch.open({ dataDir, remote: remote.remote, branch: 'main', intervalMs: 1000, env: {}, log: () => undefined, coalesceMs: 0 });
    try {
      await watch.poll();
      await remote.personCommits({ 'README.md': 'hello\n' }, 'docs: hello');
      expect(await watch.poll()).toEqual([]);
      await bump('1.6.0');
      const [first] = await watch.poll();
      await waitFor('the pause step', async () => {
        await watch.step();
        return (await watch.store.get(first))?.state.phase === 'Paused';
      });
      await bump('1.7.0');
      const [second] = await watch.poll();
      expect(second).not.toBe(first);
      const superseded = (await watch.store.get(first))!.state;
      expect(superseded.phase).toBe('Superseded');
      expect(superseded.supersededBy).toBe(second);
      const next = await waitFor('the new canary to pause', async () => {
        await watch.step();
        const state = (await watch.store.get(second))?.state;
        return state?.phase === 'Paused' && state.outbox.length === 0 ? state : undefined;
      });
      // as on GitHub: from is the canary's version before the bump
      expect(next).toMatchObject({ from: '1.6.0', to: '1.7.0', weight: 25 });
      expect(await remote.subjects()).toEqual([
        'Initial manifests',
        'docs: hello',
        'chore(deps): update shop to 1.6.0',
        'canary(shop): weight 25% → 1.6.0',
        'chore(deps): update shop to 1.7.0',
      ]);
      // the new canary's first weight was already in place: nothing to commit
      expect(next.commits).toEqual([expect.objectContaining({ kind: 'weight', weight: 25, sha: null })]);
      // the same commits polled again start nothing
      expect(await watch.poll()).toEqual([]);
    } finally {
      await watch.close();
    }
  }, 90_000);
});

describe('opsbox watch (a process killed mid-rollout)', () => {
  let child: ChildProcess | undefined;
  afterEach(() => {
    if (child && child.exitCode === null) child.kill('SIGKILL');
  });

  function start(): { process: ChildProcess; stderr: () => string } {
    let stderr = '';
    const proc = spawn(process.execPath, [BIN, 'watch', '--repo', remote.remote, '--interval', '1s', '--plain'], {
      env: { ...process.env, OPSBOX_DATA_DIR: dataDir, NODE_OPTIONS: '' },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    proc.stderr!.on('data', (chunk) => (stderr += String(chunk)));
    child = proc;
    return { process: proc, stderr: () => stderr };
  }

  async function exited(proc: ChildProcess): Promise<void> {
    if (proc.exitCode !== null || proc.signalCode !== null) return;
    await new Promise((resolve) => proc.once('exit', resolve));
  }

  it('resumes after a kill: every commit made once, in order', async () => {
    remote = await createGitRemote({
      fromDir: DEMO_TEMPLATE_DIR,
      files: { '.github/opsbox.yml': config('      - setWeight: 10\n      - pause: { duration: 1s }\n      - setWeight: 50\n      - pause: { duration: 1s }') },
    });
    const first = start();
    await waitFor('the watch to start', async () => first.stderr().includes('"event":"watching"'));
    await bump('1.8.0');
    await waitFor('the 10% commit', async () => (await remote.subjects()).includes('canary(shop): weight 10% → 1.8.0'));
    first.process.kill('SIGKILL');
    await exited(first.process);

    const second = start();
    await waitFor('the promotion', async () => (await remote.subjects()).includes('canary(shop): promote 1.8.0 to stable, weight 0%'));
    const settled = await waitFor('the rollout to settle', async () => {
      const name = (await readdir(path.join(dataDir, 'rollouts'))).find((file) => file.endsWith('.json'));
      const rollouts = name ? await readFile(path.join(dataDir, 'rollouts', name), 'utf8').catch(() => '') : '';
      if (!rollouts) return undefined;
      const state = (JSON.parse(rollouts) as { state: RolloutState }).state;
      return state.phase === 'Succeeded' && state.outbox.length === 0 ? state : undefined;
    });
    second.process.kill('SIGTERM');
    await exited(second.process);

    expect(await remote.subjects()).toEqual([
      'Initial manifests',
      'chore(deps): update shop to 1.8.0',
      'canary(shop): weight 10% → 1.8.0',
      'canary(shop): weight 50% → 1.8.0',
      'canary(shop): promote 1.8.0 to stable, weight 0%',
    ]);
    expect(settled.commits.map((c) => [c.kind, c.weight])).toEqual([
      ['weight', 10],
      ['weight', 50],
      ['promote', 0],
    ]);
    // the second process found the first one's lock stale and the first one's rollout in the store
    expect(second.stderr()).not.toContain('is in use by');
  }, 120_000);
});
