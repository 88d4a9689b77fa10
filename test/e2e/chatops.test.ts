import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { STATUS_COALESCE_MS } from '../../src/app/engine.js';
import { AppHarness, FULL_NAME, bumpApi, weights } from '../support/app-harness.js';

const CANARY = 'apps/api/canary.yaml';
const VS = 'apps/api/virtualservice.yaml';
const MAINTAINER = 'alice';
const READER = 'rita';

describe('ChatOps end to end', () => {
  let h: AppHarness;

  beforeEach(async () => {
    h = await AppHarness.start();
    h.github.setPermission(FULL_NAME, MAINTAINER, 'write');
    h.github.setPermission(FULL_NAME, READER, 'read');
    h.prometheus.answer([0.01]);
  });

  afterEach(async () => {
    await h.close();
  });

  async function bump(to = 'v2') {
    return h.mergeBump({ [CANARY]: bumpApi(h.file(CANARY), to) }, { title: `Bump api to ${to}` });
  }

  async function rollout() {
    const [latest] = await h.rollouts();
    return latest;
  }

  /** Bump, then let the weight-10 step apply so the first analysis runs. */
  async function bumpToFirstAnalysis() {
    const pr = await bump();
    await h.advanceUntil(async () => (await rollout()).step?.kind === 'analysis', 30_000);
    expect((await rollout()).stepIndex).toBe(1);
    return pr;
  }

  function subjects(): string[] {
    return h.appCommits().map((c) => c.message.split('\n')[0]);
  }

  /** Comments on the PR made by the app other than the status comment. */
  function replies(number: number): string[] {
    return h.github
      .comments(FULL_NAME, number)
      .filter((c) => c.user.login === h.github.app.botLogin && !String(c.body).includes('opsbox:status'))
      .map((c) => String(c.body));
  }

  function statusComment(number: number): string {
    const found = h.github.comments(FULL_NAME, number).find((c) => String(c.body).includes('opsbox:status'));
    if (!found) throw new Error(`no status comment on #${number}`);
    return String(found.body);
  }

  function eyes(commentId: number): number {
    return h.github.reactions(commentId).filter((r) => r.content === 'eyes').length;
  }

  it('/promote ends the analysis and commits the next weight; the status comment records who', async () => {
    const pr = await bumpToFirstAnalysis();
    const command = await h.comment(pr.number, '/promote');
    expect(command.status).toBe(200);

    expect(subjects()).toEqual(['canary(api): weight 10% → v2', 'canary(api): weight 50% → v2']);
    expect(weights(h.file(VS))).toEqual([50, 50]);
    expect(eyes(command.id)).toBe(1);
    const state = await rollout();
    expect(state.stepIndex).toBe(2);
    expect(state.history).toContainEqual(expect.objectContaining({ actor: MAINTAINER, message: '/promote: step 2 ended by hand' }));
    // the command and the commit it made go out as one update, once changes stop coming in
    expect(statusComment(pr.number)).not.toContain('/promote: step 2 ended by hand');
    await h.advance(STATUS_COALESCE_MS);
    expect(statusComment(pr.number)).toContain('/promote: step 2 ended by hand');
    expect(statusComment(pr.number)).toContain(MAINTAINER);
    expect(replies(pr.number)).toEqual([]);
  });

  it('two /promote sent at once move one step', async () => {
    const pr = await bumpToFirstAnalysis();
    const [first, second] = await Promise.all([h.comment(pr.number, '/promote'), h.comment(pr.number, '/promote')]);

    expect(subjects()).toEqual(['canary(api): weight 10% → v2', 'canary(api): weight 50% → v2']);
    expect((await rollout()).stepIndex).toBe(2);
    // one was taken, the other answered why not
    expect(eyes(first.id) + eyes(second.id)).toBe(1);
    const answered = replies(pr.number);
    expect(answered).toHaveLength(1);
    expect(answered[0]).toMatch(/^@alice: \/promote does nothing now: step 3 \(weight 50%\) is being applied/);
  });

  it('the same comment delivered twice acts once', async () => {
    const pr = await bumpToFirstAnalysis();
    const created = h.github.createComment(FULL_NAME, pr.number, '/promote', { user: MAINTAINER });
    await h.deliver('issue_comment', created.payload);
    await h.deliver('issue_comment', created.payload);

    expect(subjects()).toEqual(['canary(api): weight 10% → v2', 'canary(api): weight 50% → v2']);
    expect((await rollout()).history.filter((e) => e.message.startsWith('/promote'))).toHaveLength(1);
    expect(replies(pr.number)).toEqual([]);
  });

  it('a /promote delivered after its step ended does not end the step that runs now', async () => {
    const pr = await bumpToFirstAnalysis();
    // written during step 2 (the first analysis); its webhook comes late
    const late = h.github.createComment(FULL_NAME, pr.number, '/promote', { user: MAINTAINER, at: new Date(h.now) });
    await h.comment(pr.number, '/promote');
    await h.advanceUntil(async () => (await rollout()).step?.kind === 'analysis', 30_000);
    expect((await rollout()).stepIndex).toBe(3);

    await h.deliver('issue_comment', late.payload);
    const state = await rollout();
    expect([state.phase, state.stepIndex]).toEqual(['Progressing', 3]);
    expect(subjects()).toEqual(['canary(api): weight 10% → v2', 'canary(api): weight 50% → v2']);
    expect(eyes(late.id)).toBe(0);
    expect(replies(pr.number)).toEqual([
      expect.stringMatching(/^@alice: \/promote does nothing now: it was written before step 4 started \(.+\), so it was meant for an earlier step; send \/promote again to end step 4/),
    ]);
  });

  it('/promote --full skips the remaining steps with one promotion commit', async () => {
    const pr = await bumpToFirstAnalysis();
    await h.comment(pr.number, '/promote --full');

    expect(subjects()).toEqual(['canary(api): weight 10% → v2', 'canary(api): promote v2 to stable, weight 0%']);
    expect(weights(h.file(VS))).toEqual([100, 0]);
    expect((await rollout()).phase).toBe('Succeeded');
    expect(statusComment(pr.number)).toContain('/promote --full');
    const [check] = h.github.checkRuns(FULL_NAME, { headSha: pr.mergeSha });
    expect(check).toMatchObject({ status: 'completed', conclusion: 'success' });
  });

  it('/pause holds the weight and stops measuring; /resume goes on where it stood', async () => {
    const pr = await bumpToFirstAnalysis();
    const paused = await h.comment(pr.number, '/pause');
    expect(eyes(paused.id)).toBe(1);
    expect((await rollout()).phase).toBe('Paused');
    const measuredBefore = (await rollout()).step;

    await h.advance(60_000, 5);
    expect(subjects()).toEqual(['canary(api): weight 10% → v2']);
    expect((await rollout()).step).toEqual(measuredBefore);
    expect(statusComment(pr.number)).toContain('/pause at 10%');

    // /pause again does not apply
    await h.comment(pr.number, '/pause');
    expect(replies(pr.number)).toEqual(['@alice: /pause does nothing now: /pause applies to a progressing rollout; this one is Paused.\n']);

    await h.comment(pr.number, '/resume');
    expect((await rollout()).phase).toBe('Progressing');
    await h.advanceUntil(async () => (await rollout()).phase === 'Succeeded', 60_000);
    expect(subjects()).toEqual([
      'canary(api): weight 10% → v2',
      'canary(api): weight 50% → v2',
      'canary(api): promote v2 to stable, weight 0%',
    ]);
    expect(statusComment(pr.number)).toContain('/resume');
  });

  it('/abort rolls back at once; /retry closes the revert PR and runs the canary again to success', async () => {
    const pr = await bumpToFirstAnalysis();
    await h.comment(pr.number, '/abort');

    expect(subjects()).toEqual(['canary(api): weight 10% → v2', 'canary(api): roll back v2, weight 0% (traffic to stable v1)']);
    let state = await rollout();
    expect(state.phase).toBe('Aborted');
    expect(state.failure?.reason).toBe('aborted by @alice');
    const revert = h.github.pullRequests(FULL_NAME, { state: 'open' });
    expect(revert).toHaveLength(1);
    expect(revert[0].head.ref).toBe('opsbox/revert/api-v2');
    expect(replies(pr.number).some((body) => body.includes(`#${revert[0].number}`))).toBe(true);

    const retry = await h.comment(pr.number, '/retry');
    expect(eyes(retry.id)).toBe(1);
    expect(h.github.pullRequests(FULL_NAME, { state: 'open' })).toHaveLength(0);
    expect(h.github.comments(FULL_NAME, revert[0].number).map((c) => c.body)).toContainEqual(
      expect.stringContaining('/retry by @alice runs the canary of v2 again'),
    );

    await h.advanceUntil(async () => (await rollout()).phase === 'Succeeded', 60_000);
    expect(subjects()).toEqual([
      'canary(api): weight 10% → v2',
      'canary(api): roll back v2, weight 0% (traffic to stable v1)',
      'canary(api): weight 10% → v2',
      'canary(api): weight 50% → v2',
      'canary(api): promote v2 to stable, weight 0%',
    ]);
    state = await rollout();
    expect(state.revert).toBeUndefined();
    expect(statusComment(pr.number)).toContain('/retry');
    const [check] = h.github.checkRuns(FULL_NAME, { headSha: pr.mergeSha });
    expect(check).toMatchObject({ status: 'completed', conclusion: 'success' });
  });

  it('/retry after the revert PR was merged says so and does nothing', async () => {
    const pr = await bumpToFirstAnalysis();
    await h.comment(pr.number, '/abort');
    const [revert] = h.github.pullRequests(FULL_NAME, { state: 'open' });
    const merged = h.github.mergePullRequest(FULL_NAME, revert.number);
    await h.deliver('pull_request', merged.payload);
    const before = subjects();

    const retry = await h.comment(pr.number, '/retry');
    expect(subjects()).toEqual(before);
    expect(eyes(retry.id)).toBe(0);
    expect((await rollout()).phase).toBe('Aborted');
    expect(replies(pr.number).at(-1)).toBe(
      `@alice: /retry does nothing now: the revert pull request #${revert.number} was merged, so the canary runs v1 again; merge a new bump to try v2 again.\n`,
    );
  });

  it('/retry after a later bump started its own rollout says so and does nothing', async () => {
    const pr = await bumpToFirstAnalysis();
    await h.comment(pr.number, '/abort');
    const later = await bump('v3');
    const before = subjects();

    await h.comment(pr.number, '/retry');
    expect(subjects()).toEqual(before);
    const first = (await h.rollouts()).find((r) => r.source.number === pr.number);
    expect(first?.phase).toBe('Aborted');
    expect(replies(pr.number).at(-1)).toBe(
      `@alice: /retry does nothing now: v3 from #${later.number} has been rolled out since; merge a new bump to try v2 again.\n`,
    );
  });

  it('a reader’s /abort is refused and changes nothing; a reader may ask for /status', async () => {
    const pr = await bumpToFirstAnalysis();
    const abort = await h.comment(pr.number, '/abort', { user: READER });

    expect(subjects()).toEqual(['canary(api): weight 10% → v2']);
    expect((await rollout()).phase).toBe('Progressing');
    expect(eyes(abort.id)).toBe(0);
    expect(replies(pr.number)).toEqual([
      '@rita: /abort needs write access to this repository (you have read access). Ask someone with write, maintain or admin access to run it.\n',
    ]);

    const status = await h.comment(pr.number, '/status', { user: READER });
    expect(eyes(status.id)).toBe(1);
    const state = await rollout();
    expect(replies(pr.number).at(-1)).toBe(
      `@rita: the status of \`api\` (Progressing) is [here](${h.github.url}/${FULL_NAME}/pull/${pr.number}#issuecomment-${state.statusRef?.native.commentId}).\n`,
    );
    expect(state.history).toContainEqual(expect.objectContaining({ actor: READER, message: '/status' }));
  });

  it('/help lists the commands, what each does now and who may run them', async () => {
    const pr = await bumpToFirstAnalysis();
    const help = await h.comment(pr.number, '/help', { user: READER });
    expect(eyes(help.id)).toBe(1);
    const [body] = replies(pr.number);
    expect(body).toContain('@rita: put a command on the first line');
    for (const usage of ['/promote', '/promote --full', '/pause', '/resume', '/abort', '/retry', '/status', '/help']) {
      expect(body).toContain(`\`${usage}\``);
    }
    expect(body).toContain('| `/abort` | fail now: weight 0 at once, a revert pull request and a comment | write, maintain or admin |');
    expect(body).toContain('| `/status` | refresh the status comment and link to it | anyone who can comment |');
    expect(body).toContain('**`api`** `v1` → `v2` is Progressing, step 2 of 4.');
    expect(body).toContain('| `/promote` | end step 2 now and go on with step 3 |');
    expect((await rollout()).history).toContainEqual(expect.objectContaining({ actor: READER, message: '/help' }));
  });

  it('an unknown command gets the list and a guess; text in code blocks or quotes and bots are ignored', async () => {
    const pr = await bumpToFirstAnalysis();
    await h.comment(pr.number, '/promte');
    expect(replies(pr.number)).toHaveLength(1);
    expect(replies(pr.number)[0]).toMatch(/^@alice: `\/promte` is not an OpsBox Canary command\. Did you mean `\/promote`\?/);
    expect(replies(pr.number)[0]).toContain('| `/promote --full` |');

    await h.comment(pr.number, '```\n/abort\n```');
    await h.comment(pr.number, '> /abort');
    const fromBot = h.github.createComment(FULL_NAME, pr.number, '/abort', { user: 'renovate[bot]' });
    (fromBot.payload.comment as { user: { type: string } }).user.type = 'Bot';
    await h.deliver('issue_comment', fromBot.payload);
    const edited = h.github.createComment(FULL_NAME, pr.number, '/abort', { user: MAINTAINER });
    await h.deliver('issue_comment', { ...edited.payload, action: 'edited', changes: { body: { from: 'lgtm' } } });

    expect(subjects()).toEqual(['canary(api): weight 10% → v2']);
    expect((await rollout()).phase).toBe('Progressing');
    expect(replies(pr.number)).toHaveLength(1);
  });

  it('stays silent on a pull request without a rollout', async () => {
    await bumpToFirstAnalysis();
    const other = h.github.openPullRequest(FULL_NAME, { head: 'docs', files: { 'README.md': 'hello\n' }, title: 'Docs' });
    await h.comment(other.number, '/abort');
    await h.comment(other.number, '/help');
    await h.comment(other.number, '/promte');
    expect(h.github.comments(FULL_NAME, other.number).filter((c) => c.user.login === h.github.app.botLogin)).toEqual([]);
    expect((await rollout()).phase).toBe('Progressing');
  });

  it('a command that does not apply gets one line saying why', async () => {
    const pr = await bumpToFirstAnalysis();
    await h.comment(pr.number, '/resume');
    await h.comment(pr.number, '/promote --full');
    await h.comment(pr.number, '/abort');
    expect(replies(pr.number)).toEqual([
      '@alice: /resume does nothing now: /resume applies to a paused rollout; this one is Progressing.\n',
      '@alice: /abort does nothing now: the rollout is already Succeeded.\n',
    ]);
  });

  it('commands work on the revert pull request too', async () => {
    const pr = await bumpToFirstAnalysis();
    await h.comment(pr.number, '/abort');
    const [revert] = h.github.pullRequests(FULL_NAME, { state: 'open' });
    const retry = await h.comment(revert.number, '/retry');
    expect(eyes(retry.id)).toBe(1);
    expect((await rollout()).phase).toBe('Progressing');
    expect(h.github.pullRequests(FULL_NAME, { state: 'open' })).toHaveLength(0);
  });
});
