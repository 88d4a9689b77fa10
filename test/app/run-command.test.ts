import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { parseComment } from '../../src/chatops/parse.js';
import { runCommand, type ChatOpsDeps, type CommandRequest } from '../../src/app/run-command.js';
import { serviceSchema } from '../../src/config/opsbox.schema.js';
import type { RepoRole } from '../../src/forge/github/permissions.js';
import { newRollout } from '../../src/rollout/new-rollout.js';
import type { RepoRef, RolloutEvent, RolloutState, Transition } from '../../src/rollout/types.js';
import { fullName, githubForge, owner, repo, startFixture, type Fixture } from '../forge/github/fixture.js';
import { githubRepoRef } from '../../src/forge/github/github-forge.js';

const T0 = Date.parse('2026-11-26T10:00:00Z');

function rolloutOf(service: string, number: number, overrides: Partial<RolloutState> = {}): RolloutState {
  const serviceConfig = serviceSchema.parse({
    image: `ghcr.io/acme/${service}`,
    canary: { file: `apps/${service}/canary.yaml` },
    stable: { file: `apps/${service}/stable.yaml` },
    traffic: { provider: 'istio', file: `apps/${service}/vs.yaml`, stable: `${service}-stable`, canary: `${service}-canary` },
    steps: [{ setWeight: 10 }, { pause: {} }],
  });
  const state = newRollout(
    {
      id: `${service}-${number}`,
      repo: githubRepoRef({ installationId: 1, owner, repo, defaultBranch: 'main' }),
      service,
      serviceConfig,
      from: 'v1',
      to: 'v2',
      source: { number, title: 'Bump', url: `http://127.0.0.1/acme/manifests/pull/${number}`, mergeSha: 'a'.repeat(40) },
      analyses: {},
      templatePaths: [],
    },
    T0,
  );
  return { ...state, stepIndex: 1, step: { kind: 'pause' }, phase: 'Paused', pauseReason: 'step', weight: 10, ...overrides };
}

/** Records what reaches the state machine; answers like it would, from `decide`. */
class FakeRollouts {
  events: { id: string; event: RolloutEvent }[] = [];
  constructor(
    public rollouts: RolloutState[],
    private readonly decide: (state: RolloutState, event: RolloutEvent) => string | undefined = () => undefined,
  ) {}

  deps(fixture: Fixture): ChatOpsDeps {
    return {
      forPullRequest: async (o, r, number) =>
        this.rollouts.filter((s) => s.repo.owner === o && s.repo.repo === r && (s.source.number === number || s.revert?.thread?.number === number)),
      latestOf: async (o, r, service) =>
        this.rollouts.filter((s) => s.repo.owner === o && s.repo.repo === r && s.service === service).sort((a, b) => b.startedAt - a.startedAt)[0],
      dispatch: async (id, event, onDecided) => {
        this.events.push({ id, event });
        const state = this.rollouts.find((s) => s.id === id);
        if (!state) return undefined;
        const decision: Transition = { state: { ...state, statusRef: { forge: 'github', native: { commentId: 4242, checkRunId: 1 } } }, effects: [] };
        const rejected = this.decide(state, event);
        if (rejected !== undefined) decision.rejected = rejected;
        await onDecided?.(decision);
        return decision;
      },
      forge: () => githubForge(fixture.octokit, { serverUrl: 'http://127.0.0.1:1' }),
    };
  }
}

describe('running a command', () => {
  let fixture: Fixture;
  let pr: number;

  beforeEach(async () => {
    fixture = await startFixture();
    pr = fixture.gh.openPullRequest(fullName, { head: 'bump', files: { 'apps/api/canary.yaml': 'image: ghcr.io/acme/api:v3\n' }, title: 'Bump' }).number;
  });

  afterEach(async () => {
    await fixture.gh.close();
  });

  function request(body: string, author: string): CommandRequest {
    const parsed = parseComment(body);
    if (parsed.kind === 'none') throw new Error(`${body} is not a command`);
    const { id } = fixture.gh.createComment(fullName, pr, body, { user: author });
    return { repo: githubRepoRef({ installationId: 1, owner, repo, defaultBranch: 'main' }), issueNumber: pr, commentId: id, author, parsed };
  }

  function appComments(): string[] {
    return fixture.gh
      .comments(fullName, pr)
      .filter((c) => c.user.login === fixture.gh.app.botLogin)
      .map((c) => String(c.body));
  }

  const ROLES: RepoRole[] = ['admin', 'maintain', 'write', 'triage', 'read', 'none'];

  describe.each(ROLES)('a user with the %s role', (role) => {
    const mayChange = role === 'admin' || role === 'maintain' || role === 'write';

    it(`${mayChange ? 'may' : 'may not'} /abort`, async () => {
      const user = `${role}-user`;
      fixture.gh.setPermission(fullName, user, role);
      const rollouts = new FakeRollouts([rolloutOf('api', pr)]);
      const command = request('/abort', user);
      const outcome = await runCommand(rollouts.deps(fixture), command);

      if (mayChange) {
        expect(outcome).toEqual({ kind: 'applied', accepted: [`api-${pr}`], rejected: [] });
        expect(rollouts.events).toEqual([
          { id: `api-${pr}`, event: { type: 'command', command: { name: 'abort' }, actor: user, commandId: String(command.commentId) } },
        ]);
        expect(fixture.gh.reactions(command.commentId).map((r) => r.content)).toEqual(['eyes']);
        expect(appComments()).toEqual([]);
      } else {
        expect(outcome).toEqual({ kind: 'answered', reply: 'refused' });
        expect(rollouts.events).toEqual([]);
        expect(fixture.gh.reactions(command.commentId)).toEqual([]);
        expect(appComments()).toEqual([
          `@${user}: /abort needs write access to this repository (you have ${role} access). Ask someone with write, maintain or admin access to run it.\n`,
        ]);
      }
    });

    it('may ask for /status', async () => {
      const user = `${role}-user`;
      fixture.gh.setPermission(fullName, user, role);
      const rollouts = new FakeRollouts([rolloutOf('api', pr)]);
      const command = request('/status', user);
      await runCommand(rollouts.deps(fixture), command);

      expect(rollouts.events.map((e) => e.event)).toEqual([expect.objectContaining({ command: { name: 'status' }, actor: user })]);
      expect(fixture.gh.reactions(command.commentId).map((r) => r.content)).toEqual(['eyes']);
      expect(appComments()).toEqual([
        `@${user}: the status of \`api\` (Paused) is [here](http://127.0.0.1:1/acme/manifests/pull/${pr}#issuecomment-4242).\n`,
      ]);
      // /status never needs the permission lookup
      expect(fixture.gh.requests.some((r) => r.path.includes('/collaborators/'))).toBe(false);
    });
  });

  it('is silent, with no request at all, on a pull request without a rollout', async () => {
    const rollouts = new FakeRollouts([rolloutOf('api', pr + 100)]);
    const command = request('/abort', 'admin-user');
    fixture.gh.resetRequests();
    expect(await runCommand(rollouts.deps(fixture), command)).toEqual({ kind: 'ignored', reason: `#${pr} has no rollout` });
    expect(fixture.gh.requests).toEqual([]);
  });

  it('runs /preflight on a pull request without a rollout, for anyone, writing nothing itself', async () => {
    const rollouts = new FakeRollouts([]);
    const asked: unknown[] = [];
    const opened = fixture.gh.openPullRequest(fullName, { head: 'bump-preflight', files: { 'README.md': 'x\n' } });
    const command = { ...request('/preflight', 'passer-by'), issueNumber: opened.number };
    fixture.gh.resetRequests();
    const preflight = async (pullRepo: RepoRef, number: number) => (asked.push({ repo: pullRepo.key, number }), true);
    const outcome = await runCommand({ ...rollouts.deps(fixture), preflight }, command);
    expect(outcome).toEqual({ kind: 'preflight', ran: true });
    expect(asked).toEqual([{ repo: fullName, number: opened.number }]);
    expect(fixture.gh.requests.filter((r) => r.method !== 'GET')).toEqual([]);
  });

  it('applies to every service of the pull request unless one is named, and says which did not take it', async () => {
    fixture.gh.setPermission(fullName, 'alice', 'write');
    const rollouts = new FakeRollouts([rolloutOf('api', pr), rolloutOf('web', pr, { phase: 'Progressing', pauseReason: undefined })], (state) =>
      state.phase === 'Paused' ? undefined : `/resume applies to a paused rollout; this one is ${state.phase}`,
    );
    await runCommand(rollouts.deps(fixture), request('/resume', 'alice'));
    expect(rollouts.events.map((e) => e.id)).toEqual([`api-${pr}`, `web-${pr}`]);
    expect(appComments()).toEqual(['@alice: /resume does nothing now for `web`: /resume applies to a paused rollout; this one is Progressing.\n']);

    rollouts.events = [];
    await runCommand(rollouts.deps(fixture), request('/resume api', 'alice'));
    expect(rollouts.events.map((e) => e.id)).toEqual([`api-${pr}`]);

    await runCommand(rollouts.deps(fixture), request('/abort db', 'alice'));
    expect(appComments().at(-1)).toBe('@alice: /abort was not run: this pull request has no rollout of `db`; it has `api`, `web`.\n');
  });

  it('uses the newest rollout of a service when the pull request had several', async () => {
    fixture.gh.setPermission(fullName, 'alice', 'write');
    const older = rolloutOf('api', pr, { id: 'api-old', startedAt: T0 - 1000, phase: 'Superseded' });
    const rollouts = new FakeRollouts([older, rolloutOf('api', pr)]);
    await runCommand(rollouts.deps(fixture), request('/promote', 'alice'));
    expect(rollouts.events.map((e) => e.id)).toEqual([`api-${pr}`]);
    // the step it saw goes with it, so a second /promote sent together cannot end the next one
    expect(rollouts.events.map((e) => (e.event.type === 'command' ? e.event.command : undefined))).toEqual([{ name: 'promote', full: false, step: 1 }]);
  });

  it('asks GitHub whether the revert pull request was merged before a /retry', async () => {
    fixture.gh.setPermission(fullName, 'alice', 'write');
    const revert = fixture.gh.openPullRequest(fullName, { head: 'opsbox/revert/api-v2', files: { 'apps/api/canary.yaml': 'image: ghcr.io/acme/api:v1\n' }, title: 'Revert' });
    const aborted = rolloutOf('api', pr, { phase: 'Aborted', revert: { branch: 'opsbox/revert/api-v2', url: 'x', label: `#${revert.number}`, thread: { number: revert.number }, native: { number: revert.number } } });
    const rollouts = new FakeRollouts([aborted]);
    await runCommand(rollouts.deps(fixture), request('/retry', 'alice'));
    fixture.gh.mergePullRequest(fullName, revert.number);
    await runCommand(rollouts.deps(fixture), request('/retry', 'alice'));
    expect(rollouts.events.map((e) => (e.event.type === 'command' ? e.event.command : undefined))).toEqual([
      { name: 'retry', revertMerged: false },
      { name: 'retry', revertMerged: true },
    ]);
  });
});
