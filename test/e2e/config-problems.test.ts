import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { AppHarness, FULL_NAME, bumpApi } from '../support/app-harness.js';

const CONFIG = '.github/opsbox.yml';
const CANARY = 'apps/api/canary.yaml';
const TEMPLATE = 'analysis/error-rate.yaml';

/** Ten levels of nine aliases each: a billion strings once expanded. */
function aliasBomb(): string {
  const lines = ['bomb0: &b0 [lol, lol, lol, lol, lol, lol, lol, lol, lol]'];
  for (let level = 1; level < 10; level++) lines.push(`bomb${level}: &b${level} [${Array(9).fill(`*b${level - 1}`).join(', ')}]`);
  return `${lines.join('\n')}\n`;
}

describe('a config or template that does not parse is reported on the pull request', () => {
  let h: AppHarness;

  beforeEach(async () => {
    h = await AppHarness.start();
    h.prometheus.answer([0.01]);
  });

  afterEach(async () => {
    await h.close();
  });

  async function bump(to = 'v2') {
    return h.mergeBump({ [CANARY]: bumpApi(h.file(CANARY), to) }, { title: `Bump api to ${to}` });
  }

  /** The failing check run and the problems comment; nothing started, nothing left to retry. */
  async function reported(pr: { number: number; mergeSha: string }): Promise<{ comment: string; summary: string }> {
    expect(await h.rollouts()).toHaveLength(0);
    expect(h.appCommits()).toHaveLength(0);
    expect(await h.runtime.inbox.unfinishedWork()).toEqual([]);
    const checks = h.github.checkRuns(FULL_NAME, { headSha: pr.mergeSha });
    expect(checks).toHaveLength(1);
    expect(checks[0]).toMatchObject({ name: 'opsbox/canary', status: 'completed', conclusion: 'failure' });
    const comments = h.github.comments(FULL_NAME, pr.number);
    expect(comments).toHaveLength(1);
    expect(comments[0].user.login).toBe(h.github.app.botLogin);
    return { comment: String(comments[0].body), summary: String(checks[0].output.summary) };
  }

  it('a YAML syntax error names the file, line, column and the parser’s message', async () => {
    const broken = `${h.file(CONFIG)}services: [unclosed\n`;
    const line = broken.split('\n').length - 1;
    h.github.commitFiles(FULL_NAME, 'main', { [CONFIG]: broken });
    const pr = await bump();
    expect(pr.status).toBe(200);

    const { comment, summary } = await reported(pr);
    for (const body of [comment, summary]) {
      // the parser notices the missing `]` where the file ends, just after the line itself
      expect(body).toMatch(new RegExp(`\\.github/opsbox\\.yml:(${line}|${line + 1}):\\d+`));
      expect(body).toContain('invalid YAML');
    }
  });

  it('an alias bomb is refused with the library’s message, at the first alias', async () => {
    h.github.commitFiles(FULL_NAME, 'main', { [CONFIG]: `${h.file(CONFIG)}${aliasBomb()}` });
    const pr = await bump();

    const { comment } = await reported(pr);
    expect(comment).toContain('Excessive alias count indicates a resource exhaustion attack');
    const firstAlias = h.file(CONFIG).split('\n').findIndex((l) => l.includes('*b0')) + 1;
    expect(comment).toMatch(new RegExp(`\\.github/opsbox\\.yml:${firstAlias}:\\d+`));
  });

  it('not YAML at all, or a 10 MB file, is a problem too; webhooks are answered meanwhile', async () => {
    h.github.commitFiles(FULL_NAME, 'main', { [CONFIG]: 'just some words, no config\n' });
    const first = await bump('v2');
    expect((await reported(first)).comment).toContain('.github/opsbox.yml:1:1');

    h.github.commitFiles(FULL_NAME, 'main', { [CONFIG]: `${h.file(CONFIG)}# ${'x'.repeat(10 * 1024 * 1024)}\n` });
    const second = await bump('v3');
    const comments = h.github.comments(FULL_NAME, second.number);
    expect(comments).toHaveLength(1);
    expect(String(comments[0].body)).toMatch(/\.github\/opsbox\.yml:1:1.*the file is 10\.0 MB; a config may be at most 256 KB/s);
    expect(h.github.checkRuns(FULL_NAME, { headSha: second.mergeSha })[0]).toMatchObject({ conclusion: 'failure' });
    // another delivery is answered as usual
    const other = await h.comment(second.number, 'thanks!');
    expect(other.status).toBe(200);
  });

  it('an AnalysisTemplate that does not parse names the template file, line and column', async () => {
    const broken = h.file(TEMPLATE).replace('  metrics:', '  metrics: [\n');
    h.github.commitFiles(FULL_NAME, 'main', { [TEMPLATE]: broken });
    const pr = await bump();

    const { comment, summary } = await reported(pr);
    for (const body of [comment, summary]) {
      expect(body).toMatch(/analysis\/error-rate\.yaml:\d+:\d+/);
      expect(body).toContain('invalid YAML');
    }
  });

  it('an alias bomb in a template is reported the same way', async () => {
    h.github.commitFiles(FULL_NAME, 'main', { [TEMPLATE]: `${h.file(TEMPLATE)}  extra:\n${aliasBomb().replace(/^/gm, '    ')}` });
    const pr = await bump();

    const { comment } = await reported(pr);
    expect(comment).toMatch(/analysis\/error-rate\.yaml:\d+:\d+/);
    expect(comment).toContain('Excessive alias count');
  });

  it('a config GitHub fails to serve is not a problem: nothing is reported and the merge is tried again', async () => {
    h.github.failNext({ method: 'GET', path: /\/contents\/\.github(%2F|\/)opsbox\.yml/, status: 503, message: 'Service Unavailable', times: 1 });
    const pr = await bump();
    expect(await h.rollouts()).toHaveLength(0);
    expect(h.github.comments(FULL_NAME, pr.number)).toEqual([]);
    expect(h.github.checkRuns(FULL_NAME, { headSha: pr.mergeSha })).toEqual([]);
    expect((await h.runtime.inbox.unfinishedWork()).map((w) => w.key)).toEqual([`merge:${FULL_NAME}:${pr.mergeSha}`]);

    await h.runtime.retryUnfinishedWork();
    await h.runtime.idle();
    expect((await h.rollouts()).map((r) => `${r.service}:${r.to}:${r.phase}`)).toEqual(['api:v2:Progressing']);
    expect(h.appCommits().map((c) => c.message.split('\n')[0])).toEqual(['canary(api): weight 10% → v2']);
    expect(h.github.checkRuns(FULL_NAME, { headSha: pr.mergeSha })[0]).not.toMatchObject({ conclusion: 'failure' });
  });

  it('files at the merge commit (templates included) that GitHub fails to serve are not a problem either', async () => {
    // the rollout's start reads the merge commit's files, templates included, in one GraphQL query
    h.github.failNext({ method: 'POST', path: /\/graphql$/, status: 502, message: 'Bad Gateway', times: 1 });
    const pr = await bump();
    expect(await h.rollouts()).toHaveLength(0);
    expect(h.github.comments(FULL_NAME, pr.number)).toEqual([]);
    expect(h.github.checkRuns(FULL_NAME, { headSha: pr.mergeSha })).toEqual([]);

    await h.runtime.retryUnfinishedWork();
    await h.runtime.idle();
    expect((await h.rollouts()).map((r) => r.to)).toEqual(['v2']);
  });
});
