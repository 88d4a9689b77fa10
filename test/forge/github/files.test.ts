import { describe, expect, it } from '@jest/globals';
import { GITHUB_ERROR_CODES } from '../../../src/forge/github/errors.js';
import { readFileAt } from '../../../src/forge/github/files.js';
import { CANARY, fullName, owner, repo, useFixture } from './fixture.js';

describe('readFileAt', () => {
  const fixture = useFixture();

  it('reads a file at a branch or at an older commit, and null for a missing one', async () => {
    const { gh, octokit } = fixture;
    const old = gh.branchSha(fullName, 'main')!;
    gh.commitFiles(fullName, 'main', { [CANARY]: 'image: ghcr.io/acme/api:v3 # ünïcode\n' });
    await expect(readFileAt(octokit, { owner, repo, ref: 'main', path: CANARY })).resolves.toBe('image: ghcr.io/acme/api:v3 # ünïcode\n');
    await expect(readFileAt(octokit, { owner, repo, ref: old, path: CANARY })).resolves.toBe('image: ghcr.io/acme/api:v2\n');
    await expect(readFileAt(octokit, { owner, repo, ref: 'main', path: 'apps/api/missing.yaml' })).resolves.toBeNull();
  });

  it('reads a file above 1 MiB through its blob', async () => {
    const { gh, octokit } = fixture;
    const large = `${'# padding\n'.repeat(110_000)}image: v9\n`;
    gh.commitFiles(fullName, 'main', { 'big.yaml': large });
    gh.resetRequests();
    await expect(readFileAt(octokit, { owner, repo, ref: 'main', path: 'big.yaml' })).resolves.toBe(large);
    expect(gh.requests.map((request) => request.path.split('/').slice(4, 6).join('/'))).toEqual(['contents/big.yaml', 'git/blobs']);
  });

  it('refuses a directory', async () => {
    const { octokit } = fixture;
    await expect(readFileAt(octokit, { owner, repo, ref: 'main', path: 'apps/api' })).rejects.toMatchObject({ code: GITHUB_ERROR_CODES.NOT_A_FILE });
  });
});
