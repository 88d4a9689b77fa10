import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type { PostableAlert } from '../../src/notify/alert-content.js';
import { AppHarness, FULL_NAME, bumpApi, fixtureFiles } from '../support/app-harness.js';

const CANARY = 'apps/api/canary.yaml';

/** An Alertmanager stand-in on loopback: records every POST /api/v2/alerts, can refuse the next ones. */
async function startAlertSink() {
  const posts: { alerts: PostableAlert[]; authorization?: string }[] = [];
  let refuse = 0;
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      if (req.method !== 'POST' || req.url !== '/api/v2/alerts') return res.writeHead(404).end();
      if (refuse > 0) {
        refuse--;
        return res.writeHead(503).end('unavailable');
      }
      posts.push({ alerts: JSON.parse(Buffer.concat(chunks).toString('utf8')) as PostableAlert[], authorization: req.headers.authorization });
      res.writeHead(200, { 'content-type': 'application/json' }).end('');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    posts,
    refuseNext: (n: number) => {
      refuse = n;
    },
    close: async () => {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

describe('alerts for failed rollouts (Alertmanager API v2)', () => {
  let h: AppHarness;
  let sink: Awaited<ReturnType<typeof startAlertSink>>;
  let wallClock: number;
  let waits: number[];

  beforeEach(async () => {
    sink = await startAlertSink();
    wallClock = Date.now();
    waits = [];
    const files = await fixtureFiles();
    files['.github/opsbox.yml'] += '\nnotifications:\n  alertmanager:\n    labels: {team: payments}\n    resendInterval: 2m\n';
    h = await AppHarness.start({
      files,
      env: { OPSBOX_ALERTMANAGER_URL: sink.url, OPSBOX_ALERTMANAGER_BEARER_TOKEN: 'am-token-5521' },
      app: { alertCheckEveryMs: 0, alertClock: () => wallClock, notifySleep: async (ms) => void waits.push(ms) },
    });
    h.github.setPermission(FULL_NAME, 'alice', 'write');
  });

  afterEach(async () => {
    await h.close();
    await sink.close();
  });

  async function failRollout() {
    h.prometheus.answer([0.01]);
    const pr = await h.mergeBump({ [CANARY]: bumpApi(h.file(CANARY), 'v2') }, { title: 'Bump api to v2' });
    h.prometheus.answer([0.2]);
    await h.advanceUntil(async () => (await h.rollouts())[0].phase === 'Aborted', 30_000);
    return pr;
  }

  const last = () => sink.posts.at(-1)!.alerts[0];

  it('posts the alert with its labels and evidence, re-posts it, and resolves it when the revert pull request is merged', async () => {
    const pr = await failRollout();
    const [rollout] = await h.rollouts();
    expect(sink.posts.length).toBeGreaterThanOrEqual(1);
    expect(sink.posts[0].authorization).toBe('Bearer am-token-5521');
    expect(last().labels).toEqual({ alertname: 'OpsBoxCanaryFailed', repository: FULL_NAME, service: 'api', to: 'v2', from: 'v1', severity: 'critical', team: 'payments' });
    expect(last().annotations).toMatchObject({
      metric: 'error-rate',
      value: '[0.2]',
      revert_pull_request: rollout.revert!.url,
      summary: expect.stringContaining(`Canary v2 of api in ${FULL_NAME} failed`),
    });
    expect(last().annotations.condition).toContain('result');
    expect(last().generatorURL).toBe(`http://${h.github.host}/${FULL_NAME}/pull/${pr.number}#issuecomment-${rollout.statusRef!.native.commentId}`);
    const firstEnds = Date.parse(last().endsAt);
    // three resend intervals (2m) ahead
    expect(firstEnds).toBe(wallClock + 6 * 60_000);

    // nothing is due yet; once the interval has passed, the alert is posted again further ahead
    const before = sink.posts.length;
    h.runtime.notifier.resendDue?.();
    await h.runtime.idle();
    expect(sink.posts.length).toBe(before);
    wallClock += 2 * 60_000;
    h.runtime.notifier.resendDue?.();
    await h.runtime.idle();
    expect(sink.posts.length).toBe(before + 1);
    expect(Date.parse(last().endsAt)).toBe(wallClock + 6 * 60_000);
    expect(last().startsAt).toBe(sink.posts[0].alerts[0].startsAt);

    const revert = h.github.mergePullRequest(FULL_NAME, rollout.revert!.thread!.number);
    await h.deliver('pull_request', revert.payload);
    expect(Date.parse(last().endsAt)).toBe(wallClock);
    expect(last().labels.service).toBe('api');
    const book = JSON.parse(await readFile(path.join(h.dataDir, 'alerts.json'), 'utf8'));
    expect(book.open).toEqual([]);
  });

  it('an /abort warns instead, and /retry resolves it', async () => {
    h.prometheus.answer([0.01]);
    const pr = await h.mergeBump({ [CANARY]: bumpApi(h.file(CANARY), 'v2') }, { title: 'Bump api to v2' });
    await h.advanceUntil(async () => (await h.rollouts())[0].step?.kind === 'analysis', 30_000);
    await h.comment(pr.number, '/abort');
    expect((await h.rollouts())[0].phase).toBe('Aborted');
    expect(last().labels.severity).toBe('warning');
    expect(Date.parse(last().endsAt)).toBeGreaterThan(wallClock);

    await h.comment(pr.number, '/retry');
    expect(Date.parse(last().endsAt)).toBe(wallClock);
  });

  it('a later rollout of the service that is promoted resolves the alert', async () => {
    await failRollout();
    expect(Date.parse(last().endsAt)).toBeGreaterThan(wallClock);
    h.prometheus.answer([0.01]);
    await h.mergeBump({ [CANARY]: bumpApi(h.file(CANARY), 'v3') }, { title: 'Bump api to v3' });
    await h.advanceUntil(async () => (await h.rollouts()).some((r) => r.to === 'v3' && r.phase === 'Succeeded'), 30_000);
    expect(last().labels).toMatchObject({ service: 'api', to: 'v2' });
    expect(Date.parse(last().endsAt)).toBe(wallClock);
  });

  it('keeps re-posting an open alert after a restart', async () => {
    await failRollout();
    const before = sink.posts.length;
    await h.stopApp();
    await h.startApp();
    wallClock += 2 * 60_000;
    h.runtime.notifier.resendDue?.();
    await h.runtime.idle();
    expect(sink.posts.length).toBe(before + 1);
    expect(last().labels).toMatchObject({ alertname: 'OpsBoxCanaryFailed', service: 'api', to: 'v2' });
    expect(Date.parse(last().endsAt)).toBe(wallClock + 6 * 60_000);
  });

  it('tries again when Alertmanager is unavailable, and never holds up the rollback', async () => {
    sink.refuseNext(2);
    await failRollout();
    expect((await h.rollouts())[0].phase).toBe('Aborted');
    expect(last().labels.alertname).toBe('OpsBoxCanaryFailed');
    // two refusals, two waits of the backoff
    expect(waits.slice(0, 2)).toEqual([1000, 2000]);
  });
});
