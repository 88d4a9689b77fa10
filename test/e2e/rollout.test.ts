import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { statusMarker } from '../../src/report/render.js';
import { rolloutId } from '../../src/app/trigger.js';
import { FileRolloutStore } from '../../src/state/file-store.js';
import { AppHarness, FULL_NAME, bumpApi, fixtureFiles, weights } from '../support/app-harness.js';
import { mermaidCharts, promqlBlocks, tableRows } from '../report/markdown-checks.js';
import { githubRepoRef } from '../../src/forge/github/github-forge.js';

const CANARY = 'apps/api/canary.yaml';
const STABLE = 'apps/api/stable.yaml';
const VS = 'apps/api/virtualservice.yaml';

describe('rollout end to end', () => {
  let h: AppHarness;

  beforeEach(async () => {
    h = await AppHarness.start();
  });

  afterEach(async () => {
    await h.close();
  });

  async function bump(to: string, deliveryId?: string) {
    return h.mergeBump({ [CANARY]: bumpApi(h.file(CANARY), to) }, { title: `Bump api to ${to}`, deliveryId });
  }

  it('happy path: weight 10, analysis, weight 50, analysis, promotion', async () => {
    h.prometheus.answer([0.01]);
    const pr = await bump('v2');
    expect(pr.status).toBe(200);

    let commits = h.appCommits();
    expect(commits.map((c) => c.message.split('\n')[0])).toEqual(['canary(api): weight 10% → v2']);
    expect(commits[0].message).toContain(`OpsBox-Source: #${pr.number}`);
    expect(commits[0].files.map((f) => f.path)).toEqual([VS]);
    expect(commits[0].diff).toContain('-          weight: 100 # stable\n+          weight: 90 # stable');
    expect(commits[0].diff).toContain('-          weight: 0 # canary\n+          weight: 10 # canary');

    await h.advanceUntil(async () => (await h.rollouts())[0].phase === 'Succeeded', 60_000);
    commits = h.appCommits();
    expect(commits.map((c) => c.message.split('\n')[0])).toEqual([
      'canary(api): weight 10% → v2',
      'canary(api): weight 50% → v2',
      'canary(api): promote v2 to stable, weight 0%',
    ]);
    // Each commit changes only weight and tag lines.
    for (const commit of commits) {
      const changed = commit.diff.split('\n').filter((l) => /^[+-](?![+-])/.test(l));
      expect(changed.every((l) => /weight: \d+|image: ghcr\.io\/acme\/api:/.test(l))).toBe(true);
    }
    expect(commits[2].files.map((f) => f.path).sort()).toEqual([STABLE, VS].sort());
    expect(h.file(STABLE)).toContain('image: ghcr.io/acme/api:v2');
    expect(weights(h.file(VS))).toEqual([100, 0]);

    const comments = h.github.comments(FULL_NAME, pr.number);
    expect(comments).toHaveLength(1);
    const status = String(comments[0].body);
    expect(status).toContain('v1');
    expect(status).toContain('v2');
    expect(status).toContain('http_requests_total');
    // What the status comment promises: from → to and phase, the steps with times, each metric's
    // query, condition and values, a chart, the commit links and the commands available now.
    expect(status).toContain('## ✅ Canary `api`: `v1` → `v2`');
    expect(status).toContain('**Succeeded** · canary weight **0%**');
    const steps = tableRows(status, '#').slice(1, 5);
    expect(steps.map((row) => row[2])).toEqual(Array(4).fill('✅ done'));
    expect(steps.every((row) => /^\+\d/.test(row[3]) && /^\+\d/.test(row[4]))).toBe(true);
    expect(promqlBlocks(status).every((query) => query.includes('http_requests_total'))).toBe(true);
    expect(status).toContain('- Success when `result[0] < 0.05`');
    expect(status).toContain('| `[0.01]` | ✅ Successful |');
    expect(mermaidCharts(status).length).toBeGreaterThan(0);
    for (const commit of commits) expect(status).toContain(`[${commit.sha.slice(0, 7)}](`);
    expect(tableRows(status, 'Command').slice(1).map((row) => row[0])).toEqual(['`/status`', '`/help`']);
    const checks = h.github.checkRuns(FULL_NAME, { headSha: pr.mergeSha });
    expect(checks).toHaveLength(1);
    expect(checks[0]).toMatchObject({ name: 'opsbox/canary', status: 'completed', conclusion: 'success' });
    expect(checks[0].output.summary).toContain('**✅ Succeeded** · `v1` → `v2`');
  });

  it('failing canary: weight 0 at once, one revert PR with the evidence, a comment linking it', async () => {
    h.prometheus.answer([0.01]);
    const pr = await bump('v2');
    h.prometheus.answer([0.2]);
    await h.advanceUntil(async () => (await h.rollouts())[0].phase === 'Aborted', 30_000);

    const commits = h.appCommits();
    expect(commits.map((c) => c.message.split('\n')[0])).toEqual([
      'canary(api): weight 10% → v2',
      'canary(api): roll back v2, weight 0% (traffic to stable v1)',
    ]);
    expect(weights(h.file(VS))).toEqual([100, 0]);
    expect(h.file(CANARY)).toContain('ghcr.io/acme/api:v2'); // main keeps the bump until the revert PR is merged

    const pulls = h.github.pullRequests(FULL_NAME, { state: 'open' });
    expect(pulls).toHaveLength(1);
    expect(pulls[0].head.ref).toBe('opsbox/revert/api-v2');
    expect(pulls[0].body).toContain(`#${pr.number}`);
    expect(pulls[0].body).toContain('0.2');
    expect(promqlBlocks(String(pulls[0].body)).length).toBeGreaterThan(0);
    expect(pulls[0].body).toContain('| `[0.2]` | ❌ Failed |');
    expect(h.github.readFile(FULL_NAME, 'opsbox/revert/api-v2', CANARY)).toContain('ghcr.io/acme/api:v1 # bumped by Renovate');

    const bodies = h.github.comments(FULL_NAME, pr.number).map((c) => String(c.body));
    expect(bodies.some((b) => b.includes(`#${pulls[0].number}`) || b.includes(pulls[0].html_url))).toBe(true);
    const checks = h.github.checkRuns(FULL_NAME, { headSha: pr.mergeSha });
    expect(checks[0]).toMatchObject({ status: 'completed', conclusion: 'failure' });
  });

  it('inconclusive analysis pauses at the current weight and asks for /promote or /abort', async () => {
    const files = await fixtureFiles();
    await h.close();
    files['analysis/error-rate.yaml'] = files['analysis/error-rate.yaml'].replace(
      'successCondition: result[0] < 0.05',
      'successCondition: result[0] < 0.05\n      failureCondition: result[0] > 0.1',
    );
    h = await AppHarness.start({ files });
    h.prometheus.answer([0.07]);
    const pr = await bump('v2');
    await h.advanceUntil(async () => (await h.rollouts())[0].phase === 'Paused', 30_000);
    const [rollout] = await h.rollouts();
    expect(rollout.pauseReason).toBe('inconclusive');
    expect(weights(h.file(VS))).toEqual([90, 10]);
    expect(h.appCommits()).toHaveLength(1);
    const status = String(h.github.comments(FULL_NAME, pr.number)[0].body);
    expect(status).toContain('/promote');
    expect(status).toContain('/abort');
  });

  it('restart: a new process on the same data dir finishes the rollout without repeating a commit', async () => {
    h.prometheus.answer([0.01]);
    await bump('v2');
    await h.advance(30_000);
    await h.advance(60_000);
    const before = h.appCommits().length;
    expect(before).toBeGreaterThanOrEqual(1);
    await h.stopApp();
    await h.startApp();
    await h.advanceUntil(async () => (await h.rollouts())[0].phase === 'Succeeded', 60_000);
    const messages = h.appCommits().map((c) => c.message.split('\n')[0]);
    expect(messages).toEqual([
      'canary(api): weight 10% → v2',
      'canary(api): weight 50% → v2',
      'canary(api): promote v2 to stable, weight 0%',
    ]);
  });

  it('a merge accepted just before a crash is started by the next process', async () => {
    await h.stopApp();
    // What the webhook handler leaves when the process dies before the rollouts are stored.
    const opened = h.github.openPullRequest(FULL_NAME, { head: 'bump-crash', files: { [CANARY]: bumpApi(h.file(CANARY), 'v2') } });
    const merged = h.github.mergePullRequest(FULL_NAME, opened.number);
    const store = await FileRolloutStore.open(h.dataDir);
    const key = `merge:${FULL_NAME}:${merged.mergeCommitSha}`;
    await store.claimOnce(key, {
      repo: githubRepoRef({ installationId: h.github.app.installationId, owner: 'acme', repo: 'manifests', defaultBranch: 'main' }),
      number: opened.number,
      title: 'Bump api to v2',
      url: `https://github.com/${FULL_NAME}/pull/${opened.number}`,
      mergeSha: merged.mergeCommitSha,
    });
    await store.close();

    await h.startApp();
    await h.runtime.idle();
    expect((await h.rollouts()).map((r) => `${r.service}:${r.to}:${r.phase}`)).toEqual(['api:v2:Progressing']);
    expect(h.appCommits().map((c) => c.message.split('\n')[0])).toEqual(['canary(api): weight 10% → v2']);
    expect(await h.runtime.store.unfinishedWork()).toEqual([]);
    // The webhook, delivered late, starts nothing more.
    await h.deliver('pull_request', merged.payload);
    expect(await h.rollouts()).toHaveLength(1);
  });

  it('the same delivery twice starts one rollout; two services in one PR start two', async () => {
    const first = await bump('v2', 'delivery-1');
    const again = await h.deliver('pull_request', first.payload, 'delivery-1');
    const other = await h.deliver('pull_request', first.payload, 'delivery-2');
    expect([again, other]).toEqual([200, 200]);
    expect(await h.rollouts()).toHaveLength(1);
    expect(h.appCommits()).toHaveLength(1);

    const web = h.file('apps/web/deployments.yaml').replace(/(name: web-canary[\s\S]*?)web:2\.3\.0/, '$1web:2.4.0');
    await h.mergeBump({ [CANARY]: bumpApi(h.file(CANARY), 'v3'), 'apps/web/deployments.yaml': web });
    const rollouts = await h.rollouts();
    expect(rollouts.filter((r) => r.phase !== 'Superseded').map((r) => `${r.service}:${r.to}`).sort()).toEqual(['api:v3', 'web:2.4.0']);
  });

  it('retries the weight commit on top when the branch moves between read and write', async () => {
    let moved = false;
    h.github.onBeforeRefUpdate((event) => {
      if (moved || event.branch !== 'main') return;
      moved = true;
      h.github.commitFiles(FULL_NAME, 'main', { 'docs/NOTES.md': 'someone else\n' }, { message: 'docs: notes' });
    });
    await bump('v2');
    const log = h.github.log(FULL_NAME, 'main').map((c) => c.message.split('\n')[0]);
    expect(log.slice(0, 2)).toEqual(['canary(api): weight 10% → v2', 'docs: notes']);
    expect(h.file('docs/NOTES.md')).toBe('someone else\n');
    expect(weights(h.file(VS))).toEqual([90, 10]);
  });

  it('a new bump supersedes the running canary; a merged revert PR starts nothing', async () => {
    const first = await bump('v2');
    const second = await bump('v3');
    const rollouts = await h.rollouts();
    expect(rollouts.find((r) => r.source.number === first.number)?.phase).toBe('Superseded');
    expect(rollouts.find((r) => r.source.number === second.number)?.phase).toBe('Progressing');
    expect(h.github.comments(FULL_NAME, first.number).some((c) => String(c.body).includes('v3'))).toBe(true);
    expect(h.github.comments(FULL_NAME, first.number).some((c) => String(c.body).includes('## ⏭️ Canary `api`: `v1` → `v2`'))).toBe(true);

    const revert = await h.mergeBump({ [CANARY]: bumpApi(h.file(CANARY), 'v1') }, { title: 'Revert api' });
    expect((await h.rollouts()).some((r) => r.source.number === revert.number)).toBe(false);
  });

  it("another bot's comment carrying the status marker is never edited", async () => {
    h.prometheus.answer([0.01]);
    const opened = h.github.openPullRequest(FULL_NAME, { head: 'bump-planted', files: { [CANARY]: bumpApi(h.file(CANARY), 'v2') } });
    const planted = `planted\n\n${statusMarker(rolloutId({ repo: { owner: 'acme', repo: 'manifests' } as never, number: opened.number }, 'api'))}`;
    h.github.createComment(FULL_NAME, opened.number, planted, { user: 'mallory-ci[bot]' });
    const merged = h.github.mergePullRequest(FULL_NAME, opened.number);
    await h.deliver('pull_request', merged.payload);

    const comments = h.github.comments(FULL_NAME, opened.number);
    expect(comments.map((c) => c.user.login)).toEqual(['mallory-ci[bot]', h.github.app.botLogin]);
    expect(comments[0].body).toBe(planted);
    expect(String(comments[1].body)).toContain('## ');
    expect((await h.rollouts())[0].statusRef?.native.commentId).toBe(comments[1].id);
  });

  it('broken config: a failing check run and a comment that name the key', async () => {
    const config = h.file('.github/opsbox.yml').replace('provider: istio', 'provider: istioo');
    h.github.commitFiles(FULL_NAME, 'main', { '.github/opsbox.yml': config });
    const pr = await bump('v2');
    expect(await h.rollouts()).toHaveLength(0);
    expect(h.appCommits()).toHaveLength(0);
    const checks = h.github.checkRuns(FULL_NAME, { headSha: pr.mergeSha });
    expect(checks[0]).toMatchObject({ status: 'completed', conclusion: 'failure' });
    const comment = String(h.github.comments(FULL_NAME, pr.number)[0].body);
    expect(comment).toContain('services.api.traffic.provider');
    expect(comment).toContain('.github/opsbox.yml');
  });

  it('a merge whose start failed (GitHub down) is tried again without a restart', async () => {
    h.prometheus.answer([0.01]);
    h.github.failNext({ method: 'GET', path: /\/contents\/\.github%2Fopsbox\.yml|\/contents\/\.github\/opsbox\.yml/, status: 502, message: 'Bad Gateway', times: 1 });
    const pr = await bump('v2');
    expect(pr.status).toBe(200);
    expect(await h.rollouts()).toHaveLength(0);

    await h.runtime.retryUnfinishedWork();
    await h.runtime.idle();
    expect((await h.rollouts()).map((r) => r.to)).toEqual(['v2']);
    expect(h.appCommits().map((c) => c.message.split('\n')[0])).toEqual(['canary(api): weight 10% → v2']);
    // done work is not tried again
    await h.runtime.retryUnfinishedWork();
    await h.runtime.idle();
    expect(await h.rollouts()).toHaveLength(1);
  });

  it('a command racing a timer tick makes one step', async () => {
    h.prometheus.answer([0.01]);
    const pr = await bump('v2');
    // the analysis needs three measurements a minute apart; the third tick would end it
    await h.advanceUntil(async () => (await h.rollouts())[0].step?.kind === 'analysis', 30_000);
    await h.advance(60_000);
    h.github.setPermission(FULL_NAME, 'alice', 'write');
    h.now += 60_000;
    await Promise.all([h.runtime.engine.tick(), h.comment(pr.number, '/promote')]);
    await h.runtime.idle();
    expect(h.appCommits().map((c) => c.message.split('\n')[0])).toEqual(['canary(api): weight 10% → v2', 'canary(api): weight 50% → v2']);
    expect((await h.rollouts())[0].stepIndex).toBe(2);
  });
});
