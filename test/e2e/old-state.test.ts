/**
 * A rollout saved by the version before the forge port resumes after an upgrade: the app is run to
 * the same point, its state file is replaced by the old one (in the old shape, with only what
 * differs between runs — merge and commit shas, the fake servers' ports — taken from this run), and the
 * restarted app carries on through the same GitHub objects: the status comment and check run are
 * edited in place, the revert pull request is the one it closes.
 */
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from '@jest/globals';
import { rolloutFileName } from '../../src/state/archive.js';
import type { RolloutState } from '../../src/rollout/types.js';
import { AppHarness, FULL_NAME, bumpApi, fixtureFiles, weights } from '../support/app-harness.js';

const FIXTURES = fileURLToPath(new URL('../fixtures/state/', import.meta.url));
const CANARY = 'apps/api/canary.yaml';
const VS = 'apps/api/virtualservice.yaml';

type Legacy = Record<string, unknown> & { source: Record<string, unknown>; commits: Array<Record<string, unknown>>; step?: Record<string, unknown> };

describe('a rollout saved before the forge port', () => {
  let h: AppHarness;

  afterEach(async () => {
    await h.close();
  });

  /** Stops the app, puts the old file in place of this run's, starts the app again. */
  async function upgradeFrom(name: string, live: RolloutState): Promise<Legacy> {
    const old = JSON.parse(await readFile(path.join(FIXTURES, name), 'utf8')) as { state: Legacy; version: number };
    const state = old.state;
    expect(state.id).toBe(live.id);
    // only what differs from run to run comes from this one
    state.source = { ...state.source, url: live.source.url, mergeSha: live.source.mergeSha };
    state.prometheusAddress = live.prometheusAddress;
    state.commits = state.commits.map((commit, index) => ({ ...commit, sha: live.commits[index].sha }));
    if (state.step?.kind === 'setWeight' && live.step?.kind === 'setWeight') state.step = { ...state.step, sha: live.step.sha };
    if (state.revertPr) state.revertPr = { ...(state.revertPr as object), url: live.revert!.url };
    await h.stopApp();
    await writeFile(path.join(h.dataDir, 'rollouts', rolloutFileName(live.id)), JSON.stringify({ state, version: old.version }));
    await h.startApp();
    // (only now: ids of the fake GitHub's objects follow the order they are made in)
    h.github.setPermission(FULL_NAME, 'alice', 'write');
    return state;
  }

  const statusComments = (number: number) => h.github.comments(FULL_NAME, number).filter((c) => String(c.body).includes('opsbox:status'));

  it('paused at 10%: /promote commits 50% and edits the same status comment and check run', async () => {
    const files = await fixtureFiles();
    files['analysis/error-rate.yaml'] = files['analysis/error-rate.yaml'].replace(
      'successCondition: result[0] < 0.05',
      'successCondition: result[0] < 0.05\n      failureCondition: result[0] > 0.1',
    );
    h = await AppHarness.start({ files });
    h.prometheus.answer([0.07]);
    const pr = await h.mergeBump({ [CANARY]: bumpApi(h.file(CANARY), 'v2') }, { title: 'Bump api to v2' });
    await h.advanceUntil(async () => (await h.rollouts())[0].phase === 'Paused', 30_000);
    const old = await upgradeFrom('paused-inconclusive.json', (await h.rollouts())[0]);
    expect(statusComments(pr.number).map((c) => c.id)).toEqual([old.statusCommentId]);

    const resumed = (await h.rollouts())[0];
    expect(resumed.repo).toMatchObject({ forge: 'github', key: FULL_NAME, native: { installationId: (old.repo as { installationId: number }).installationId } });
    expect(resumed.statusRef?.native).toMatchObject({ commentId: old.statusCommentId, checkRunId: old.checkRunId });

    h.prometheus.answer([0.01]);
    await h.comment(pr.number, '/promote');
    await h.advanceUntil(async () => weights(h.file(VS))[1] === 50, 30_000);
    expect(h.appCommits().map((c) => c.message.split('\n')[0])).toEqual(['canary(api): weight 10% → v2', 'canary(api): weight 50% → v2']);
    const status = statusComments(pr.number);
    expect(status.map((c) => c.id)).toEqual([old.statusCommentId]);
    expect(String(status[0].body)).toContain('50%');
    const checks = h.github.checkRuns(FULL_NAME, { headSha: pr.mergeSha });
    expect(checks.map((c) => c.id)).toEqual([old.checkRunId]);
  });

  it('aborted with a revert pull request: /retry closes that pull request and runs the canary again', async () => {
    h = await AppHarness.start();
    h.prometheus.answer([0.01]);
    const pr = await h.mergeBump({ [CANARY]: bumpApi(h.file(CANARY), 'v2') }, { title: 'Bump api to v2' });
    h.prometheus.answer([0.2]);
    await h.advanceUntil(async () => (await h.rollouts())[0].phase === 'Aborted', 30_000);
    const old = await upgradeFrom('aborted-with-revert.json', (await h.rollouts())[0]);
    const revertNumber = (old.revertPr as { number: number }).number;
    expect(h.github.pullRequests(FULL_NAME, { state: 'open' }).map((p) => p.number)).toEqual([revertNumber]);

    h.prometheus.answer([0.01]);
    await h.comment(pr.number, '/retry');
    await h.advanceUntil(async () => (await h.rollouts())[0].phase === 'Succeeded', 30_000);
    expect(h.github.pullRequests(FULL_NAME, { state: 'open' })).toEqual([]);
    const rollout = (await h.rollouts())[0];
    expect(rollout.revert).toBeUndefined();
    expect(rollout.history.map((e) => e.message)).toContain(`revert pull request #${revertNumber} closed`);
    expect(statusComments(pr.number).map((c) => c.id)).toEqual([old.statusCommentId]);
  });
});
