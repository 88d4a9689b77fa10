/**
 * Crash safety with a real process: the app runs as a child process (real clock, real scheduler),
 * is killed with SIGKILL in the middle of an effect, and a new process on the same data dir must
 * finish the rollout without making any commit, pull request, comment or check run twice.
 *
 * The kills happen at the dangerous edges, through a proxy in front of the fake GitHub: just before
 * a write reaches GitHub, or just after GitHub made it but before the app heard (and stored) it.
 */
import { afterEach, describe, expect, it } from '@jest/globals';
import type { StoredRollout } from '../../src/state/store.js';
import type { AppProcess } from '../support/app-process.js';
import { storedRollouts } from '../support/process-fixture.js';
import { useProcessFixture } from '../support/use-process-fixture.js';
import { appCommitsOf, bumpApi, deliverWebhook, FULL_NAME, OWNER, REPO, weights } from '../support/app-harness.js';
import type { CutRule, ProxiedRequest } from '../support/cut-proxy.js';

const SECRET = 'crash-webhook-secret';
const CANARY = 'apps/api/canary.yaml';
const STABLE = 'apps/api/stable.yaml';
const VS = 'apps/api/virtualservice.yaml';
const REPO_PATH = `/repos/${OWNER}/${REPO}`;
const WAIT_MS = 30_000;

const WEIGHT_10 = 'canary(api): weight 10% → v2';
const WEIGHT_50 = 'canary(api): weight 50% → v2';
const PROMOTE = 'canary(api): promote v2 to stable, weight 0%';
const ROLLBACK = 'canary(api): roll back v2, weight 0% (traffic to stable v1)';

describe('kill -9 in the middle of an effect, then restart', () => {
  const fixture = useProcessFixture({ webhookSecret: SECRET, dataDirPrefix: 'opsbox-crash-' });
  let app: AppProcess | undefined;

  afterEach(() => {
    app = undefined;
  });

  async function startApp(): Promise<AppProcess> {
    app = await fixture.startApp();
    return app;
  }

  /**
   * Starts the app, merges a bump of api to v2, and kills the process at each cut in turn; after
   * each kill a new process starts on the same data dir. Each cut is armed before its process runs.
   */
  async function mergeBumpAndCrash(cuts: Array<[CutRule, string]>) {
    let pr: { number: number; mergeSha: string } | undefined;
    await startApp();
    for (const [rule, what] of cuts) {
      const victim = app!;
      const fired = fixture.proxy.cut(rule, () => victim.kill());
      if (!pr) pr = await mergeBump(victim);
      await within(fired, `the cut "${what}"`, victim);
      await startApp();
    }
    return pr ?? mergeBump(app!);
  }

  async function mergeBump(to: AppProcess) {
    await to.ready();
    const opened = fixture.github.openPullRequest(FULL_NAME, {
      head: 'bump-api-v2',
      title: 'Bump api to v2',
      files: { [CANARY]: bumpApi(fixture.github.readFile(FULL_NAME, 'main', CANARY)!, 'v2') },
    });
    const merged = fixture.github.mergePullRequest(FULL_NAME, opened.number);
    expect(await deliverWebhook({ port: to.port, secret: SECRET }, 'pull_request', merged.payload)).toBe(200);
    return { number: opened.number as number, mergeSha: merged.mergeCommitSha as string };
  }

  /** Waits (bounded) until every stored rollout is finished and has no effect left to run. */
  async function finished(): Promise<RolloutState[]> {
    const deadline = Date.now() + WAIT_MS;
    while (Date.now() < deadline) {
      const states = await storedRollouts(fixture.dataDir);
      if (states.length > 0 && states.every((s) => ['Succeeded', 'Aborted'].includes(s.phase) && s.outbox.length === 0)) return states;
      if (app && !app.running) throw new Error(`the app process exited:\n${app.log}`);
      await sleep(200);
    }
    throw new Error(`the rollout did not finish in ${WAIT_MS} ms:\n${JSON.stringify(await storedRollouts(fixture.dataDir), null, 1).slice(0, 4000)}\n${app?.log ?? ''}`);
  }

  function appCommits(): string[] {
    return appCommitsOf(fixture.github).map((entry) => entry.message.split('\n')[0]);
  }

  /** The request that moves `branch` to a commit whose subject is `subject`: GraphQL `createCommitOnBranch`. */
  function refUpdate(when: CutRule['when'], branch: string, subject: string): CutRule {
    return {
      when,
      match: (r) =>
        r.method === 'POST' &&
        /\/graphql$/.test(r.path) &&
        r.body?.variables?.input?.branch?.branchName === branch &&
        r.body?.variables?.input?.message?.headline === subject,
    };
  }

  function write(when: CutRule['when'], method: string, pathname: string | RegExp, body?: (r: ProxiedRequest) => boolean): CutRule {
    return {
      when,
      match: (r) =>
        r.method === method &&
        (typeof pathname === 'string' ? r.path === pathname : pathname.test(r.path)) &&
        (body ? body(r) : true),
    };
  }

  function expectNothingTwice(pr: { number: number; mergeSha: string }, conclusion: 'success' | 'failure') {
    const comments = fixture.github.comments(FULL_NAME, pr.number).map((c) => String(c.body));
    expect(comments.filter((b) => b.includes('<!-- opsbox:status '))).toHaveLength(1);
    const checks = fixture.github.checkRuns(FULL_NAME, { headSha: pr.mergeSha });
    expect(checks).toHaveLength(1);
    expect(checks[0]).toMatchObject({ name: 'opsbox/canary', status: 'completed', conclusion });
    expect(fixture.github.errors).toEqual([]);
    expect(fixture.github.unhandled).toEqual([]);
    return comments;
  }

  /** The rollout promoted v2 once: each commit once, stable on v2, one status comment, no other PR. */
  function expectPromotedOnce(rollout: RolloutState, pr: { number: number; mergeSha: string }) {
    expect(rollout.phase).toBe('Succeeded');
    expect(appCommits()).toEqual([WEIGHT_10, WEIGHT_50, PROMOTE]);
    expect(fixture.github.readFile(FULL_NAME, 'main', STABLE)).toContain('image: ghcr.io/acme/api:v2');
    expect(weights(fixture.github.readFile(FULL_NAME, 'main', VS)!)).toEqual([100, 0]);
    expect(expectNothingTwice(pr, 'success')).toHaveLength(1);
    expect(fixture.github.pullRequests(FULL_NAME)).toHaveLength(1);
  }

  it('happy path, killed after the check run was created and before the 50% commit moved main', async () => {
    const pr = await mergeBumpAndCrash([
      [write('after', 'POST', `${REPO_PATH}/check-runs`), 'check run created, answer lost'],
      [refUpdate('before', 'main', WEIGHT_50), 'weight 50% commit, before main moves'],
    ]);
    const [rollout] = await finished();

    expectPromotedOnce(rollout, pr);
  }, 60_000);

  it('happy path, killed after the status comment, the 50% commit and the promotion reached GitHub unheard', async () => {
    const pr = await mergeBumpAndCrash([
      [write('after', 'POST', /\/issues\/\d+\/comments$/, (r) => String(r.body?.body).includes('<!-- opsbox:status ')), 'status comment created, answer lost'],
      [refUpdate('after', 'main', WEIGHT_50), 'weight 50% commit, main moved, answer lost'],
      [refUpdate('after', 'main', PROMOTE), 'promotion commit, main moved, answer lost'],
    ]);
    const [rollout] = await finished();

    expectPromotedOnce(rollout, pr);
    // the commits that landed unheard are found again, so the record links them
    expect(rollout.commits.map((c) => c.sha)).toEqual(appCommitsOf(fixture.github).map((c) => c.sha));
  }, 60_000);

  it('failing canary, killed after the rollback commit, the revert branch, the revert PR and the failure comment', async () => {
    fixture.prometheus.answer([0.2]);
    const pr = await mergeBumpAndCrash([
      [refUpdate('after', 'main', ROLLBACK), 'rollback commit, main moved, answer lost'],
      [write('after', 'POST', `${REPO_PATH}/git/refs`), 'revert branch created, answer lost'],
      [write('after', 'POST', `${REPO_PATH}/pulls`), 'revert PR opened, answer lost'],
      [write('after', 'POST', /\/issues\/\d+\/comments$/, (r) => String(r.body?.body).includes('<!-- opsbox:failure ')), 'failure comment posted, answer lost'],
    ]);
    const [rollout] = await finished();

    expect(rollout.phase).toBe('Aborted');
    expect(appCommits()).toEqual([WEIGHT_10, ROLLBACK]);
    expect(weights(fixture.github.readFile(FULL_NAME, 'main', VS)!)).toEqual([100, 0]);
    const pulls = fixture.github.pullRequests(FULL_NAME).filter((p) => p.number !== pr.number);
    expect(pulls).toHaveLength(1);
    expect(pulls[0]).toMatchObject({ state: 'open', head: { ref: 'opsbox/revert/api-v2' } });
    expect(rollout.revert?.thread?.number).toBe(pulls[0].number);
    const revertCommits = fixture.github.log(FULL_NAME, 'opsbox/revert/api-v2').filter((c) => c.message.startsWith('revert(api)'));
    expect(revertCommits).toHaveLength(1);
    expect(fixture.github.readFile(FULL_NAME, 'opsbox/revert/api-v2', CANARY)).toContain('ghcr.io/acme/api:v1');

    const comments = expectNothingTwice(pr, 'failure');
    expect(comments.filter((b) => b.includes('<!-- opsbox:failure '))).toHaveLength(1);
    expect(comments).toHaveLength(2);
  }, 60_000);
});

type RolloutState = StoredRollout['state'];

/** A bounded wait that says what it waited for, with the app's output. */
async function within<T>(promise: Promise<T>, what: string, child: AppProcess): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not happen within ${WAIT_MS} ms:\n${child.log}`)), WAIT_MS);
  });
  try {
    return await Promise.race([promise, timeout, child.diedByItself()]);
  } finally {
    clearTimeout(timer);
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
