import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { Octokit } from '@octokit/rest';
import { silentLog, startFakeGitHub, type FakeGitHub } from './index.js';
import { fullName, owner, repo } from './testing.js';

const COMMIT = `mutation Commit($input: CreateCommitOnBranchInput!) {
  createCommitOnBranch(input: $input) { commit { oid } }
}`;

function base64(text: string): string {
  return Buffer.from(text, 'utf8').toString('base64');
}

async function failure(promise: Promise<unknown>): Promise<{ errors: Array<Record<string, any>>; data: unknown }> {
  try {
    await promise;
  } catch (error) {
    const failed = error as { errors?: Array<Record<string, any>>; data?: unknown };
    if (!failed.errors) throw error;
    return { errors: failed.errors, data: failed.data };
  }
  throw new Error('expected the GraphQL request to fail');
}

describe('fake GitHub GraphQL', () => {
  let gh: FakeGitHub;
  let octokit: Octokit;
  let head: string;

  beforeEach(async () => {
    gh = await startFakeGitHub();
    head = gh.createRepo(owner, repo, { files: { 'a.yaml': 'x: 1\n', 'dir/b.yaml': 'y: 2\n' } }).headSha;
    octokit = new Octokit({ baseUrl: gh.apiUrl, auth: 'app-installation-token', log: silentLog });
  });

  afterEach(async () => {
    await gh.close();
  });

  function input(overrides: Record<string, unknown> = {}) {
    return {
      branch: { repositoryNameWithOwner: fullName, branchName: 'main' },
      message: { headline: 'canary(api): weight 10%', body: 'OpsBox-Rollout: r1\nOpsBox-Step: 1/4' },
      expectedHeadOid: head,
      fileChanges: { additions: [{ path: 'a.yaml', contents: base64('x: 2\n') }], deletions: [{ path: 'dir/b.yaml' }] },
      ...overrides,
    };
  }

  it('createCommitOnBranch makes one verified commit on the expected head and answers only what was asked', async () => {
    gh.resetRequests();
    const result = await octokit.graphql<{ createCommitOnBranch: unknown }>(COMMIT, { input: input() });

    const [commit] = gh.log(fullName, 'main', { limit: 1 });
    expect(result).toEqual({ createCommitOnBranch: { commit: { oid: commit.sha } } });
    expect(commit.parents).toEqual([head]);
    expect(commit.verified).toBe(true);
    expect(commit.author).toBe('opsbox-canary[bot]');
    expect(commit.message).toBe('canary(api): weight 10%\n\nOpsBox-Rollout: r1\nOpsBox-Step: 1/4');
    expect(commit.files.map((file) => [file.path, file.status])).toEqual([
      ['a.yaml', 'modified'],
      ['dir/b.yaml', 'removed'],
    ]);
    expect(gh.readFile(fullName, 'main', 'a.yaml')).toBe('x: 2\n');
    // GitHub Enterprise Server answers GraphQL at /api/graphql; a mutation is a write
    expect(gh.requests.map((r) => [r.method, r.path, r.status, r.write])).toEqual([['POST', '/api/graphql', 200, true]]);
  });

  it('answers at /graphql too, and finds a branch by its ref node id and qualified name', async () => {
    const plain = new Octokit({ baseUrl: gh.url, auth: 'app-installation-token', log: silentLog });
    const ref = await octokit.rest.git.getRef({ owner, repo, ref: 'heads/main' });
    const byId = await plain.graphql<{ createCommitOnBranch: { ref: { name: string; target: { oid: string } } } }>(
      `mutation($input: CreateCommitOnBranchInput!) { createCommitOnBranch(input: $input) { ref { name target { oid } } } }`,
      { input: input({ branch: { id: ref.data.node_id } }) },
    );
    expect(byId.createCommitOnBranch.ref).toEqual({ name: 'main', target: { oid: gh.branchSha(fullName, 'main') } });
    expect(gh.requests.at(-1)?.path).toBe('/graphql');

    const next = gh.branchSha(fullName, 'main')!;
    await octokit.graphql(COMMIT, {
      input: input({ expectedHeadOid: next, branch: { repositoryNameWithOwner: fullName, branchName: 'refs/heads/main' }, fileChanges: { additions: [{ path: 'c.yaml', contents: base64('z: 3\n') }] } }),
    });
    expect(gh.readFile(fullName, 'main', 'c.yaml')).toBe('z: 3\n');
  });

  it('refuses with STALE_DATA when the branch is not at expectedHeadOid, and moves nothing', async () => {
    const moved = gh.commitFiles(fullName, 'main', { 'other.txt': 'someone else\n' });
    const { errors, data } = await failure(octokit.graphql(COMMIT, { input: input() }));

    expect(data).toEqual({ createCommitOnBranch: null });
    expect(errors).toEqual([
      expect.objectContaining({ type: 'STALE_DATA', path: ['createCommitOnBranch'], message: `Expected branch to point to "${head}" but it did not.  Pull and try again.` }),
    ]);
    expect(gh.branchSha(fullName, 'main')).toBe(moved);
  });

  it('runs the ref-update hooks, so a push racing the mutation makes it stale', async () => {
    const events: Array<{ branch: string; currentSha: string }> = [];
    gh.onBeforeRefUpdate((event) => {
      events.push({ branch: event.branch, currentSha: event.currentSha });
      gh.commitFiles(fullName, 'main', { 'race.txt': 'pushed in between\n' });
    });
    const { errors } = await failure(octokit.graphql(COMMIT, { input: input() }));

    expect(events).toEqual([{ branch: 'main', currentSha: head }]);
    expect(errors[0].type).toBe('STALE_DATA');
    expect(gh.readFile(fullName, 'main', 'race.txt')).toBe('pushed in between\n');
    expect(gh.readFile(fullName, 'main', 'a.yaml')).toBe('x: 1\n');
  });

  it('refuses bad input before anything runs: unknown fields, missing variables, duplicate paths, bad base64, missing deletions', async () => {
    const unknownField = await failure(
      octokit.graphql(`mutation($input: CreateCommitOnBranchInput!) { createCommitOnBranch(input: $input) { commit { sha } } }`, { input: input() }),
    );
    expect(unknownField.errors[0]).toMatchObject({ message: "Field 'sha' doesn't exist on type 'Commit'", extensions: { code: 'undefinedField' } });

    const missingVariable = await failure(octokit.graphql(COMMIT, {}));
    expect(missingVariable.errors[0].message).toBe('Variable $input of type CreateCommitOnBranchInput! was provided invalid value');

    const noHead = await failure(octokit.graphql(COMMIT, { input: input({ expectedHeadOid: undefined }) }));
    expect(noHead.errors[0].message).toContain('expectedHeadOid (Expected value to not be null)');

    const duplicate = await failure(
      octokit.graphql(COMMIT, { input: input({ fileChanges: { additions: [{ path: 'a.yaml', contents: base64('1') }], deletions: [{ path: 'a.yaml' }] } }) }),
    );
    expect(duplicate.errors[0]).toMatchObject({ type: 'UNPROCESSABLE', message: 'path values must be unique across all additions and deletions' });

    const unpadded = await failure(octokit.graphql(COMMIT, { input: input({ fileChanges: { additions: [{ path: 'a.yaml', contents: 'eDogMg' }] } }) }));
    expect(unpadded.errors[0].type).toBe('UNPROCESSABLE');

    const gone = await failure(octokit.graphql(COMMIT, { input: input({ fileChanges: { deletions: [{ path: 'nope.yaml' }] } }) }));
    expect(gone.errors[0].message).toBe(`A path was requested for deletion which does not exist as of commit oid \`${head}\``);

    const noBranch = await failure(octokit.graphql(COMMIT, { input: input({ branch: { repositoryNameWithOwner: fullName, branchName: 'nope' } }) }));
    expect(noBranch.errors[0]).toMatchObject({ type: 'NOT_FOUND', path: ['createCommitOnBranch'] });

    const syntax = await failure(octokit.graphql('mutation { createCommitOnBranch(input: $input) { commit { oid } '));
    expect(syntax.errors[0].message).toMatch(/^Parse error on end of file/);

    expect(gh.branchSha(fullName, 'main')).toBe(head);
    expect(gh.log(fullName, 'main')).toHaveLength(1);
  });

  it('reads a branch head and files at that same commit in one query, recorded as a read', async () => {
    gh.resetRequests();
    const result = await octokit.graphql<Record<string, any>>(
      `query Head($owner: String!, $name: String!, $ref: String!) {
        repository(owner: $owner, name: $name) {
          ref(qualifiedName: $ref) {
            target {
              __typename
              oid
              ... on Commit {
                f0: file(path: "dir/b.yaml") { object { ... on Blob { text isBinary isTruncated } } }
                f1: file(path: "missing.yaml") { object { ... on Blob { text } } }
              }
            }
          }
          other: ref(qualifiedName: "refs/heads/nope") { name }
        }
      }`,
      { owner, name: repo, ref: 'refs/heads/main' },
    );

    expect(result).toEqual({
      repository: {
        ref: { target: { __typename: 'Commit', oid: head, f0: { object: { text: 'y: 2\n', isBinary: false, isTruncated: false } }, f1: null } },
        other: null,
      },
    });
    expect(gh.requests.map((r) => [r.method, r.read, r.write])).toEqual([['POST', true, false]]);

    const missing = await failure(octokit.graphql(`{ repository(owner: "acme", name: "nope") { name } }`));
    expect(missing.data).toEqual({ repository: null });
    expect(missing.errors[0]).toMatchObject({ type: 'NOT_FOUND', path: ['repository'], message: "Could not resolve to a Repository with the name 'acme/nope'." });
  });

  it('object(expression:) follows git revision syntax: <sha>^:<path> is the first parent side; what does not exist is null', async () => {
    const second = gh.commitFiles(fullName, 'main', { 'a.yaml': 'x: 2\n' });
    const third = gh.commitFiles(fullName, 'main', { 'c.yaml': 'z: 3\n' });
    const blob = '... on Blob { text }';
    const result = await octokit.graphql<Record<string, any>>(
      `query($owner: String!, $name: String!, $a: String!, $b: String!, $c: String!, $d: String!, $e: String!, $f: String!) {
        repository(owner: $owner, name: $name) {
          now: object(expression: $a) { ${blob} }
          parent: object(expression: $b) { ${blob} }
          twoBack: object(expression: $c) { ${blob} }
          gone: object(expression: $d) { ${blob} }
          beforeRoot: object(expression: $e) { ${blob} }
          commit: object(expression: $f) { ... on Commit { parents(first: 1) { totalCount nodes { oid } } } }
        }
      }`,
      { owner, name: repo, a: `${third}:a.yaml`, b: `${second}^:a.yaml`, c: `${third}~2:a.yaml`, d: `${third}^:c.yaml`, e: `${head}^:a.yaml`, f: third },
    );
    expect(result.repository).toEqual({
      now: { text: 'x: 2\n' },
      parent: { text: 'x: 1\n' },
      twoBack: { text: 'x: 1\n' },
      gone: null,
      beforeRoot: null,
      commit: { parents: { totalCount: 1, nodes: [{ oid: second }] } },
    });
  });

  describe('recent commits with their statuses and check runs', () => {
    const RECENT = `query($owner: String!, $name: String!, $rev: String!, $n: Int!) {
      repository(owner: $owner, name: $name) {
        object(expression: $rev) { ... on Commit { history(first: $n) { nodes { oid status { contexts { context state } } checkSuites(first: 20) { nodes { checkRuns(first: 50) { nodes { name conclusion } } } } } } } }
      }
    }`;
    type Recent = { repository: { object: { history: { nodes: Array<{ oid: string; status: { contexts: Array<{ context: string; state: string }> } | null; checkSuites: { nodes: Array<{ checkRuns: { nodes: Array<{ name: string; conclusion: string | null }> } }> } }> } } } };

    it('history is git log from the commit, newest first, following every parent; status holds the latest of each context', async () => {
      // a clock a minute further on each reading, so commit dates decide the order
      let minute = 0;
      const timed = await startFakeGitHub({ clock: () => new Date(Date.UTC(2026, 0, 1, 0, minute++)) });
      try {
        const first = timed.createRepo(owner, repo, { files: { 'a.yaml': 'x: 1\n' } }).headSha;
        const side = timed.commitFiles(fullName, 'feature', { 'b.yaml': 'y: 1\n' }, { from: first });
        const second = timed.commitFiles(fullName, 'main', { 'a.yaml': 'x: 2\n' });
        const client = new Octokit({ baseUrl: timed.apiUrl, auth: 'app-installation-token', log: silentLog });
        await client.rest.repos.createCommitStatus({ owner, repo, sha: second, context: 'argocd/api', state: 'pending' });
        await client.rest.repos.createCommitStatus({ owner, repo, sha: second, context: 'argocd/api', state: 'success' });
        await client.rest.checks.create({ owner, repo, head_sha: side, name: 'flux/api', status: 'completed', conclusion: 'failure' });
        const committed = await client.graphql<{ createCommitOnBranch: { commit: { oid: string } } }>(COMMIT, {
          input: { branch: { repositoryNameWithOwner: fullName, branchName: 'main' }, message: { headline: 'change' }, expectedHeadOid: second, fileChanges: { additions: [{ path: 'c.yaml', contents: base64('z: 1\n') }] } },
        });
        const merge = committed.createCommitOnBranch.commit.oid;
        // a merge commit of both lines, pushed by someone else
        const mergeCommit = timed.mergePullRequest(fullName, timed.openPullRequest(fullName, { head: 'feature', base: 'main', title: 'side' }).number, { method: 'merge' }).mergeCommitSha;

        timed.resetRequests();
        const answer = await client.graphql<Recent>(RECENT, { owner, name: repo, rev: mergeCommit, n: 10 });
        const nodes = answer.repository.object.history.nodes;
        expect(nodes.map((node) => node.oid)).toEqual([mergeCommit, merge, second, side, first]);
        expect(nodes[2].status).toEqual({ contexts: [{ context: 'argocd/api', state: 'SUCCESS' }] });
        expect(nodes[0].status).toBeNull();
        expect(nodes[3].checkSuites.nodes).toEqual([{ checkRuns: { nodes: [{ name: 'flux/api', conclusion: 'FAILURE' }] } }]);
        expect(nodes[4].checkSuites.nodes).toEqual([]);
        expect(timed.requests.map((r) => [r.method, r.read, r.write])).toEqual([['POST', true, false]]);

        const two = await client.graphql<Recent>(RECENT, { owner, name: repo, rev: `${second}`, n: 2 });
        expect(two.repository.object.history.nodes.map((node) => node.oid)).toEqual([second, first]);
      } finally {
        await timed.close();
      }
    });

    it('refuses a history page larger than GitHub allows', async () => {
      const { errors } = await failure(octokit.graphql(RECENT, { owner, name: repo, rev: head, n: 101 }));
      expect(errors[0]).toMatchObject({ type: 'INVALID_ARGUMENTS', path: ['repository', 'object', 'history'] });
    });
  });
});
