import { Octokit } from '@octokit/rest';
import { githubRepoRef } from '../../../src/forge/github/github-forge.js';
import { silentLog, startFakeGitHub } from '../../support/fake-github/index.js';
import { forgeContract } from '../forge.contract.js';
import { githubForge } from './fixture.js';

forgeContract('GitHub', async (files) => {
  const gh = await startFakeGitHub();
  gh.createRepo('acme', 'manifests', { files });
  const octokit = new Octokit({ baseUrl: gh.apiUrl, auth: 'installation-token', log: silentLog });
  return {
    forge: githubForge(octokit),
    repo: githubRepoRef({ installationId: 1, owner: 'acme', repo: 'manifests', defaultBranch: 'main' }),
    push: async (branch, changed) => gh.commitFiles('acme/manifests', branch, changed),
    head: async (branch) => gh.branchSha('acme/manifests', branch)!,
    close: () => gh.close(),
  };
});
