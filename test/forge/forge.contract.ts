/**
 * What every forge adapter must do, as tests any adapter runs against itself: call
 * `forgeContract(name, setup)` from its own test file with a setup that makes a repository holding
 * `files` on `main` (one commit, no parent).
 */
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import type { Forge, RepoRef } from '../../src/forge/forge.js';

export interface ForgeContractRepo {
  forge: Forge;
  repo: RepoRef;
  /** Someone else commits these files on top of `branch` (a person, another tool); returns the new head. */
  push(branch: string, files: Record<string, string>): Promise<string>;
  /** The head of a branch as the forge has it now. */
  head(branch: string): Promise<string>;
  close(): Promise<void>;
}

export type ForgeContractSetup = (files: Record<string, string>) => Promise<ForgeContractRepo>;

const CANARY = 'apps/api/canary.yaml';
const FILES = { [CANARY]: 'image: ghcr.io/acme/api:v1\n', 'analysis/error-rate.yaml': 'kind: AnalysisTemplate\n', 'README.md': '# manifests\n' };

export function forgeContract(name: string, setup: ForgeContractSetup): void {
  describe(`the ${name} forge keeps the forge port's contract`, () => {
    let r: ForgeContractRepo;

    beforeEach(async () => {
      r = await setup({ ...FILES });
    });

    afterEach(async () => {
      await r.close();
    });

    it('reads files and folders at a commit, and the same files at its first parent', async () => {
      const first = await r.head('main');
      const second = await r.push('main', { [CANARY]: 'image: ghcr.io/acme/api:v2\n' });
      const snapshot = await r.forge.readSnapshot(r.repo, second, { files: [CANARY], parentFiles: [CANARY], folders: ['analysis'] });
      expect(snapshot.sha).toBe(second);
      expect(snapshot.parentSha).toBe(first);
      expect(await snapshot.readOptional(CANARY)).toBe('image: ghcr.io/acme/api:v2\n');
      expect(await snapshot.readParentOptional(CANARY)).toBe('image: ghcr.io/acme/api:v1\n');
      expect(await snapshot.blobSha(CANARY)).not.toBe(await snapshot.parentBlobSha(CANARY));
      expect(await snapshot.listFiles('analysis')).toEqual(['analysis/error-rate.yaml']);
      expect(await snapshot.readOptional('missing.yaml')).toBeNull();
      // a path nobody asked for is read on demand, at the same commit
      expect(await r.forge.filesAt(r.repo, first).readOptional('README.md')).toBe('# manifests\n');
    });

    it('commits a change built on the branch head, and finds its own commit again', async () => {
      const before = await r.head('main');
      const made = await r.forge.commit(r.repo, {
        branch: 'main',
        message: 'canary(api): weight 10% → v2',
        build: async (read) => [{ path: CANARY, content: `${await read(CANARY)}# weight 10\n` }],
      });
      expect(made.sha).toBe(await r.head('main'));
      expect(await r.forge.contains(r.repo, before, made.sha!)).toBe(true);
      expect(await r.forge.contains(r.repo, made.sha!, before)).toBe(false);
      expect(await r.forge.findOwnCommit(r.repo, 'main', 'canary(api): weight 10% → v2')).toBe(made.sha);
      expect(await r.forge.findOwnCommit(r.repo, 'main', 'never made')).toBeNull();
      // the change in place already: nothing to commit
      const again = await r.forge.commit(r.repo, { branch: 'main', message: 'canary(api): weight 10% → v2', build: async (read) => [{ path: CANARY, content: await read(CANARY) }] });
      expect(again).toEqual({ sha: null });
    });

    it('builds the change again on what someone else pushed meanwhile, keeping their change', async () => {
      let builds = 0;
      const made = await r.forge.commit(r.repo, {
        branch: 'main',
        message: 'canary(api): weight 50% → v2',
        build: async (read) => {
          builds++;
          // someone pushes between the read and the write, once
          if (builds === 1) await r.push('main', { 'README.md': '# manifests, edited\n' });
          return [{ path: CANARY, content: `${await read(CANARY)}# weight 50\n` }];
        },
      });
      expect(made.sha).toBe(await r.head('main'));
      expect(builds).toBe(2);
      const files = r.forge.filesAt(r.repo, made.sha!);
      expect(await files.readOptional('README.md')).toBe('# manifests, edited\n');
      expect(await files.readOptional(CANARY)).toBe('image: ghcr.io/acme/api:v1\n# weight 50\n');
    });

    it('proposes a revert once, tells its status, and withdraws it once', async () => {
      const proposal = {
        branch: 'opsbox/revert/api-v2',
        title: 'Revert api to v1 (canary v2 failed)',
        body: 'The canary failed.',
        message: 'revert(api): canary back to v1',
        build: () => [{ path: CANARY, content: 'image: ghcr.io/acme/api:v0\n' }],
      };
      const revert = await r.forge.proposeRevert(r.repo, proposal);
      expect(revert.branch).toBe('opsbox/revert/api-v2');
      expect(revert.label).not.toBe('');
      // a replay finds the same revert
      expect(await r.forge.proposeRevert(r.repo, proposal)).toEqual(revert);
      expect(await r.forge.revertStatus(r.repo, revert)).toBe('open');
      await r.forge.withdrawRevert(r.repo, revert, 'a /retry runs the canary again');
      expect(await r.forge.revertStatus(r.repo, revert)).toBe('withdrawn');
      await r.forge.withdrawRevert(r.repo, revert, 'a replay');
      expect(await r.forge.revertStatus(r.repo, revert)).toBe('withdrawn');
    });

    it('links to commits and threads', () => {
      expect(r.forge.commitUrl(r.repo, 'a'.repeat(40))).toContain('a'.repeat(40));
      expect(typeof r.forge.threadUrl(r.repo, { number: 1 })).toBe('string');
    });
  });
}
