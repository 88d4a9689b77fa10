/** A fake GitHub with one manifests repository and an app client pointed at it. */
import { afterEach, beforeEach } from '@jest/globals';
import { Octokit } from '@octokit/rest';
import { GitHubForge, type InstallationOctokit } from '../../../src/forge/github/github-forge.js';
import type { RevisionCache } from '../../../src/forge/github/revision-cache.js';
import { silentLog, startFakeGitHub, type FakeGitHub } from '../../support/fake-github/index.js';

export const owner = 'acme';
export const repo = 'manifests';
export const fullName = `${owner}/${repo}`;

export const CANARY = 'apps/api/canary.yaml';
export const VIRTUAL_SERVICE = 'apps/api/virtualservice.yaml';

export function virtualService(canaryWeight: number): string {
  return [
    'apiVersion: networking.istio.io/v1',
    'kind: VirtualService',
    'metadata:',
    '  name: api',
    'spec:',
    '  http:',
    '    - route:',
    '        - destination: { host: api-stable }',
    `          weight: ${100 - canaryWeight}`,
    '        - destination: { host: api-canary }',
    `          weight: ${canaryWeight}`,
    '',
  ].join('\n');
}

export interface Fixture {
  gh: FakeGitHub;
  octokit: Octokit;
}

export async function startFixture(): Promise<Fixture> {
  const gh = await startFakeGitHub();
  gh.createRepo(owner, repo, {
    files: { [CANARY]: 'image: ghcr.io/acme/api:v2\n', [VIRTUAL_SERVICE]: virtualService(0), 'README.md': '# manifests\n' },
  });
  const octokit = new Octokit({ baseUrl: gh.apiUrl, auth: 'installation-token', log: silentLog });
  return { gh, octokit };
}

/** A fresh fixture for each test of the calling `describe`, closed after it; read its fields inside tests. */
export function useFixture(): Fixture {
  const fixture = {} as Fixture;
  beforeEach(async () => {
    Object.assign(fixture, await startFixture());
  });
  afterEach(async () => {
    await fixture.gh.close();
  });
  return fixture;
}

/** Sleeps that return at once, recording what was asked. */
export function recordingSleep(): { sleep: (ms: number) => Promise<void>; waits: number[] } {
  const waits: number[] = [];
  return { waits, sleep: async (ms: number) => void waits.push(ms) };
}

/** The GitHub adapter over a client of the fake GitHub, as the app's runtime makes it. */
export function githubForge(octokit: Octokit, options: { revisions?: RevisionCache; serverUrl?: string } = {}): GitHubForge {
  return new GitHubForge({
    auth: async () => octokit as unknown as InstallationOctokit,
    appLogin: async () => 'opsbox-canary[bot]',
    serverUrl: options.serverUrl ?? 'http://127.0.0.1',
    revisions: options.revisions,
  });
}
