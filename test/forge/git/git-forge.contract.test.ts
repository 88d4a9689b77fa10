import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { GitForge, type GitStatusSink } from '../../../src/forge/git/git-forge.js';
import { GitRepository } from '../../../src/forge/git/repository.js';
import { createGitRemote } from '../../support/git-remote.js';
import { forgeContract } from '../forge.contract.js';

const quiet: GitStatusSink = { status: () => undefined, problems: () => undefined, reply: () => undefined, revertProposed: () => undefined, revertWithdrawn: () => undefined };

forgeContract('plain git', async (files) => {
  const remote = await createGitRemote({ files });
  const dataDir = await mkdtemp(path.join(os.tmpdir(), 'opsbox-git-contract-'));
  const forge = new GitForge(await GitRepository.open(dataDir, remote.remote, 'main'), quiet);
  return {
    forge,
    repo: forge.repoRef,
    push: async (_branch, changed) => remote.personCommits(changed, 'someone else commits'),
    head: async (branch) => (await remote.git(['rev-parse', branch], remote.remote)).trim(),
    close: async () => {
      await remote.cleanup();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
});
