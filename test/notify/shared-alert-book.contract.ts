/**
 * Two notifiers sharing one alert book, as two replicas share their backend's: whichever replica
 * fired an alert, any of them re-posts it, resolves it, or sees its revert pull request merged.
 * A backend's test file runs the suite with a function opening one empty book (or two handles on
 * it, as two replicas hold two connections to one database).
 */
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { serviceSchema } from '../../src/config/opsbox.schema.js';
import { githubLinks } from '../../src/forge/github/links.js';
import { githubRepoRef } from '../../src/forge/github/github-forge.js';
import type { PostableAlert } from '../../src/notify/alert-content.js';
import { AlertmanagerNotifier } from '../../src/notify/alertmanager.js';
import { newRollout } from '../../src/rollout/new-rollout.js';
import type { RolloutEvent, RolloutState } from '../../src/rollout/types.js';
import type { AlertBook } from '../../src/state/alert-book.js';

export interface SharedBook {
  /** The book as replica A and replica B see it. */
  a: AlertBook;
  b: AlertBook;
  close(): Promise<void>;
}

/** An Alertmanager stand-in on loopback recording every POST /api/v2/alerts; `beforeAnswer` may hold a post up. */
async function startAlertSink() {
  const posts: PostableAlert[] = [];
  const sink = {
    url: '',
    posts,
    beforeAnswer: undefined as ((alert: PostableAlert) => Promise<void>) | undefined,
    close: async () => {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  };
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      void (async () => {
        const alerts = JSON.parse(Buffer.concat(chunks).toString('utf8')) as PostableAlert[];
        const hold = sink.beforeAnswer;
        sink.beforeAnswer = undefined;
        if (hold) await hold(alerts[0]);
        posts.push(...alerts);
        res.writeHead(200, { 'content-type': 'application/json' }).end('');
      })();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  sink.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return sink;
}

const serviceConfig = serviceSchema.parse({
  image: 'ghcr.io/acme/api',
  canary: { file: 'canary.yaml' },
  stable: { file: 'stable.yaml' },
  traffic: { provider: 'smi', file: 'split.yaml', stable: 'api-stable', canary: 'api-canary' },
  steps: [{ setWeight: 10 }, { setWeight: 50 }],
});

const REVERT_PR = 8;

function rollouts(startedAt: number): { running: RolloutState; failed: RolloutState } {
  const running = newRollout(
    {
      id: 'acme-manifests-api-7',
      repo: githubRepoRef({ installationId: 1, owner: 'acme', repo: 'manifests', defaultBranch: 'main' }),
      service: 'api',
      serviceConfig,
      from: 'v1',
      to: 'v2',
      source: { number: 7, title: 'Bump api to v2', url: 'https://github.com/acme/manifests/pull/7', mergeSha: 'abc' },
      analyses: {},
      templatePaths: [],
    },
    startedAt,
  );
  running.notifications = { alertmanager: { labels: { team: 'payments' }, resendInterval: '2m' } };
  const failed: RolloutState = {
    ...structuredClone(running),
    phase: 'Aborted',
    failure: { at: startedAt + 60_000, reason: 'error-rate failed' },
    revert: { branch: 'opsbox/revert/api-v2', url: `https://github.com/acme/manifests/pull/${REVERT_PR}`, label: `#${REVERT_PR}`, thread: { number: REVERT_PR } },
  } as RolloutState;
  return { running, failed };
}

const tick: RolloutEvent = { type: 'tick' };
const RESEND_MS = 2 * 60_000;

export function sharedAlertBookContract(name: string, open: () => Promise<SharedBook>): void {
  describe(`${name}: two replicas sharing the alert book`, () => {
    let shared: SharedBook;
    let sink: Awaited<ReturnType<typeof startAlertSink>>;
    let wallClock: number;
    let a: AlertmanagerNotifier;
    let b: AlertmanagerNotifier;
    /** Runs once right after replica A has read the whole book. */
    let afterListOnA: (() => Promise<void>) | undefined;

    const replica = (book: AlertBook) =>
      new AlertmanagerNotifier({
        env: { OPSBOX_ALERTMANAGER_URL: sink.url },
        links: githubLinks('https://github.com'),
        book,
        checkEveryMs: 0,
        clock: () => wallClock,
        sleep: async () => undefined,
      });

    beforeEach(async () => {
      shared = await open();
      sink = await startAlertSink();
      wallClock = Date.parse('2026-12-04T10:00:00.000Z');
      afterListOnA = undefined;
      const bookOfA = shared.a;
      a = replica({
        list: async () => {
          const read = await bookOfA.list();
          const hook = afterListOnA;
          afterListOnA = undefined;
          await hook?.();
          return read;
        },
        get: (rollout) => bookOfA.get(rollout),
        put: (alert) => bookOfA.put(alert),
        replaceIfPostedAt: (alert, postedAt) => bookOfA.replaceIfPostedAt(alert, postedAt),
        remove: (rollout) => bookOfA.remove(rollout),
      });
      b = replica(shared.b);
    });

    afterEach(async () => {
      await Promise.all([a.stop(), b.stop()]);
      await sink.close();
      await shared.close();
    });

    const firing = (alert: PostableAlert) => Date.parse(alert.endsAt) > wallClock;
    const tickBoth = async () => {
      a.resendDue();
      b.resendDue();
      await Promise.all([a.idle(), b.idle()]);
    };

    async function fireOnA(): Promise<void> {
      const { running, failed } = rollouts(wallClock - 120_000);
      a.transition(running, tick, failed);
      await a.idle();
      expect(sink.posts).toHaveLength(1);
      expect(sink.posts[0].labels).toMatchObject({ alertname: 'OpsBoxCanaryFailed', service: 'api', to: 'v2', team: 'payments' });
      expect(Date.parse(sink.posts[0].endsAt)).toBe(wallClock + 3 * RESEND_MS);
    }

    it('resolves on replica B, which saw the revert pull request merged, the alert replica A fired; A posts nothing more for it', async () => {
      await fireOnA();
      b.merged('acme', 'manifests', REVERT_PR);
      await b.idle();
      expect(sink.posts).toHaveLength(2);
      expect(Date.parse(sink.posts[1].endsAt)).toBe(wallClock);
      expect(sink.posts[1].labels).toEqual(sink.posts[0].labels);
      expect(await shared.a.list()).toEqual([]);

      for (let interval = 1; interval <= 3; interval++) {
        wallClock += RESEND_MS;
        await tickBoth();
      }
      expect(sink.posts).toHaveLength(2);
    });

    it('keeps re-posting on replica B the alert of replica A once A has stopped', async () => {
      await fireOnA();
      await a.stop();
      for (let interval = 1; interval <= 3; interval++) {
        // not due yet
        wallClock += RESEND_MS - 1000;
        b.resendDue();
        await b.idle();
        expect(sink.posts).toHaveLength(interval);
        wallClock += 1000;
        b.resendDue();
        await b.idle();
        expect(sink.posts).toHaveLength(interval + 1);
        const last = sink.posts[interval];
        expect(Date.parse(last.endsAt)).toBe(wallClock + 3 * RESEND_MS);
        expect(last.startsAt).toBe(sink.posts[0].startsAt);
        expect(last.labels).toEqual(sink.posts[0].labels);
      }
    });

    it('re-posts an alert once when both replicas find it due together', async () => {
      await fireOnA();
      wallClock += RESEND_MS;
      await tickBoth();
      expect(sink.posts).toHaveLength(2);
      expect(firing(sink.posts[1])).toBe(true);
      await tickBoth();
      expect(sink.posts).toHaveLength(2);
    });

    it('does not post again an alert replica B resolved after replica A read the book', async () => {
      await fireOnA();
      wallClock += RESEND_MS;
      afterListOnA = async () => {
        b.merged('acme', 'manifests', REVERT_PR);
        await b.idle();
      };
      a.resendDue();
      await a.idle();
      expect(sink.posts.map(firing)).toEqual([true, false]);
      expect(await shared.b.list()).toEqual([]);
    });

    it('ends with the resolution when replica B resolves while replica A re-posts', async () => {
      await fireOnA();
      wallClock += RESEND_MS;
      // A's re-post reaches Alertmanager only after B has resolved the alert and posted so
      sink.beforeAnswer = async () => {
        b.merged('acme', 'manifests', REVERT_PR);
        await b.idle();
      };
      a.resendDue();
      await a.idle();
      expect(sink.posts.map(firing)).toEqual([true, false, true, false]);
      expect(Date.parse(sink.posts.at(-1)!.endsAt)).toBe(wallClock);
      wallClock += RESEND_MS;
      await tickBoth();
      expect(sink.posts).toHaveLength(4);
    });

    it('resolves on replica B, when A\'s rollout recovers there, the alert A fired', async () => {
      await fireOnA();
      const { failed } = rollouts(wallClock - 120_000);
      b.transition(failed, { type: 'command', command: { name: 'retry' }, actor: 'alice' } as RolloutEvent, { ...failed, phase: 'Progressing' } as RolloutState);
      await b.idle();
      expect(sink.posts.map(firing)).toEqual([true, false]);
      wallClock += RESEND_MS;
      await tickBoth();
      expect(sink.posts).toHaveLength(2);
    });
  });
}
