/**
 * A graceful stop with a real process: SIGTERM arrives while the 50% commit is on its way to GitHub.
 * At once `/readyz` answers 503, yet a webhook that still arrives is accepted (claimed durably); the
 * commit in flight completes, the process exits 0, and a new process on the same data dir finishes
 * the rollout with exactly the commits a rollout without a stop makes, and runs the late command.
 */
import { describe, expect, it } from '@jest/globals';
import { appCommitsOf, bumpApi, deliverWebhook, FULL_NAME, OWNER, REPO } from '../support/app-harness.js';
import type { AppProcess } from '../support/app-process.js';
import { storedRollouts } from '../support/process-fixture.js';
import { useProcessFixture } from '../support/use-process-fixture.js';

const SECRET = 'shutdown-webhook-secret';
const CANARY = 'apps/api/canary.yaml';
const WAIT_MS = 30_000;
const WEIGHT_10 = 'canary(api): weight 10% → v2';
const WEIGHT_50 = 'canary(api): weight 50% → v2';
const PROMOTE = 'canary(api): promote v2 to stable, weight 0%';

describe('SIGTERM during a rollout, then restart', () => {
  const fixture = useProcessFixture({ webhookSecret: SECRET, dataDirPrefix: 'opsbox-sigterm-' });

  async function startApp(): Promise<AppProcess> {
    const app = await fixture.startApp({ OPSBOX_SHUTDOWN_TIMEOUT: '10s' });
    await app.ready();
    return app;
  }

  it('stops ready at once, still claims webhooks, exits 0, and the next process completes the rollout', async () => {
    const first = await startApp();
    const opened = fixture.github.openPullRequest(FULL_NAME, {
      head: 'bump-api-v2',
      title: 'Bump api to v2',
      files: { [CANARY]: bumpApi(fixture.github.readFile(FULL_NAME, 'main', CANARY)!, 'v2') },
    });
    const merged = fixture.github.mergePullRequest(FULL_NAME, opened.number);

    let readyDuringShutdown = 0;
    let lateDelivery = 0;
    const late = fixture.github.createComment(FULL_NAME, opened.number, '/status', { user: 'alice' });
    // The 50% commit waits at the proxy while the process is told to stop.
    const held = fixture.proxy.cut(
      {
        when: 'hold',
        match: (r) => r.method === 'POST' && /\/graphql$/.test(r.path) && r.body?.variables?.input?.message?.headline === WEIGHT_50,
      },
      async () => {
        process.kill(first.pid, 'SIGTERM');
        readyDuringShutdown = await untilStatus(`http://127.0.0.1:${first.port}/readyz`, 503);
        lateDelivery = await deliverWebhook({ port: first.port, secret: SECRET }, 'issue_comment', late.payload);
      },
    );
    expect(await deliverWebhook({ port: first.port, secret: SECRET }, 'pull_request', merged.payload)).toBe(200);
    await bounded(held, 'the 50% commit to reach GitHub', first);

    expect(await bounded(first.exitCode(), 'the process to exit after SIGTERM', first)).toBe(0);
    expect(readyDuringShutdown).toBe(503);
    expect(lateDelivery).toBe(200);
    expect(first.log).toContain('shutdown complete');
    // the commit that was in flight completed before the exit
    expect(appCommits()).toEqual([WEIGHT_10, WEIGHT_50]);

    const second = await startApp();
    const [rollout] = await finished(second);
    expect(rollout.phase).toBe('Succeeded');
    expect(appCommits()).toEqual([WEIGHT_10, WEIGHT_50, PROMOTE]);
    expect(rollout.commits.map((c) => c.sha)).toEqual(appCommitsOf(fixture.github).map((c) => c.sha));
    // the command that arrived during the stop was run by the next process
    await until(() => fixture.github.reactions(late.id).length > 0, 'the late /status to be acknowledged', second);
    expect(fixture.github.errors).toEqual([]);
  }, 90_000);

  function appCommits(): string[] {
    return appCommitsOf(fixture.github).map((entry) => entry.message.split('\n')[0]);
  }

  async function finished(app: AppProcess) {
    let states = await storedRollouts(fixture.dataDir);
    await until(
      async () => {
        states = await storedRollouts(fixture.dataDir);
        return states.length > 0 && states.every((s) => s.phase === 'Succeeded' && s.outbox.length === 0);
      },
      'the rollout to finish',
      app,
    );
    return states;
  }
});

async function untilStatus(url: string, status: number): Promise<number> {
  let last = 0;
  for (let attempt = 0; attempt < 100 && last !== status; attempt++) {
    try {
      const response = await fetch(url, { signal: AbortSignal.timeout(1000) });
      await response.text();
      last = response.status;
    } catch {
      last = 0;
    }
    if (last !== status) await sleep(20);
  }
  return last;
}

async function until(check: () => boolean | Promise<boolean>, what: string, app: AppProcess): Promise<void> {
  const deadline = Date.now() + WAIT_MS;
  while (Date.now() < deadline) {
    if (await check()) return;
    await sleep(100);
  }
  throw new Error(`timed out waiting for ${what}:\n${app.log}`);
}

async function bounded<T>(promise: Promise<T>, what: string, app: AppProcess): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out waiting for ${what}:\n${app.log}`)), WAIT_MS);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
