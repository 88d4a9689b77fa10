import { describe, expect, it } from '@jest/globals';
import { loadRepoConfig } from '../../../src/forge/github/config-file.js';
import { RepoReadError } from '../../../src/repo/files.js';
import { fullName, owner, repo, useFixture } from './fixture.js';

const PATH = '.github/opsbox.yml';

describe('reading .github/opsbox.yml as Probot would, parsing it ourselves', () => {
  const fixture = useFixture();
  const load = () => loadRepoConfig(fixture.octokit as never, { owner, repo, path: PATH });

  it('no file anywhere: not a repository the app manages', async () => {
    expect(await load()).toEqual({ kind: 'none' });
  });

  it('keeps the text of a single file, so schema problems can name lines', async () => {
    fixture.gh.commitFiles(fullName, 'main', { [PATH]: 'services: {}\n' });
    expect(await load()).toEqual({ kind: 'config', raw: { services: {} }, text: 'services: {}\n' });
  });

  it("falls back to the owner's .github repository and follows _extends, the nearer file winning", async () => {
    fixture.gh.createRepo(owner, '.github', { files: { [PATH]: '_extends: shared:base/opsbox.yml\nprometheus: { address: http://near }\n' } });
    fixture.gh.createRepo(owner, 'shared', { files: { 'base/opsbox.yml': 'prometheus: { address: http://far }\nservices: { api: {} }\n' } });
    expect(await load()).toEqual({ kind: 'config', raw: { prometheus: { address: 'http://near' }, services: { api: {} } } });
  });

  it('a file of the chain that does not parse is named with its repository', async () => {
    fixture.gh.commitFiles(fullName, 'main', { [PATH]: '_extends: shared\n' });
    fixture.gh.createRepo(owner, 'shared', { files: { [PATH]: 'services: [a\n' } });
    const loaded = await load();
    expect(loaded.kind === 'invalid' && loaded.problems[0]).toMatchObject({ file: `${owner}/shared:${PATH}`, line: 2, message: expect.stringMatching(/^invalid YAML: /) });
  });

  it('a loop, a missing target and a malformed _extends are problems, not errors', async () => {
    fixture.gh.commitFiles(fullName, 'main', { [PATH]: `_extends: ${repo}\n` });
    const loop = await load();
    expect(loop.kind === 'invalid' && loop.problems[0].message).toMatch(/leads back to \.github\/opsbox\.yml/);

    fixture.gh.commitFiles(fullName, 'main', { [PATH]: '_extends: nowhere\n' });
    const missing = await load();
    expect(missing.kind === 'invalid' && missing.problems[0]).toMatchObject({ key: '_extends', message: expect.stringContaining('does not exist') });

    fixture.gh.commitFiles(fullName, 'main', { [PATH]: '_extends: [a, b]\n' });
    const malformed = await load();
    expect(malformed.kind === 'invalid' && malformed.problems[0].message).toMatch(/^expected a string/);
  });

  it('GitHub failing to answer is a read error, never a config problem', async () => {
    fixture.gh.commitFiles(fullName, 'main', { [PATH]: 'services: {}\n' });
    fixture.gh.failNext({ method: 'GET', path: /\/contents\//, status: 500, message: 'boom', times: 1 });
    await expect(load()).rejects.toBeInstanceOf(RepoReadError);
    expect((await load()).kind).toBe('config');
  });
});
