import { beforeEach, describe, expect, it } from '@jest/globals';
import { toRunMetricSpec } from '../../src/analysis/run.js';
import { serviceSchema } from '../../src/config/opsbox.schema.js';
import { argoAnalysis } from '../../src/rollout/analysis-port.js';
import { EffectError, RolloutEngine, STATUS_COALESCE_MS, type EffectExecutor } from '../../src/app/engine.js';
import { stepKey } from '../../src/rollout/machine.js';
import { newRollout } from '../../src/rollout/new-rollout.js';
import type { Effect, EffectResult, RolloutState } from '../../src/rollout/types.js';
import { MemoryStore } from '../support/memory-store.js';
import { makeMetric } from '../analysis/support.js';
import { githubRepoRef } from '../../src/forge/github/github-forge.js';

const T0 = Date.parse('2026-11-26T10:00:00Z');

interface Executed {
  type: Effect['type'];
  at: number;
  /** What the effect said about earlier runs when it ran. */
  started: boolean;
  /** The stored copy of the effect while it ran. */
  storedStarted: boolean | undefined;
  phase: RolloutState['phase'];
  stepIndex: number;
}

function rollout(): RolloutState {
  const metric = { ...toRunMetricSpec(makeMetric({ successCondition: 'result[0] < 0.05', prometheus: { query: 'errors' } })), count: 3, intervalMs: 60_000 };
  const serviceConfig = serviceSchema.parse({
    image: 'ghcr.io/acme/api',
    canary: { file: 'apps/api/canary.yaml' },
    stable: { file: 'apps/api/stable.yaml' },
    traffic: { provider: 'istio', file: 'apps/api/vs.yaml', stable: 'api-stable', canary: 'api-canary' },
    steps: [{ setWeight: 20 }, { analysis: { templates: [{ templateName: 'error-rate' }] } }, { setWeight: 60 }],
    sync: { delay: '10s' },
  });
  return newRollout({
    id: 'acme/manifests#7/api',
    repo: githubRepoRef({ installationId: 1, owner: 'acme', repo: 'manifests', defaultBranch: 'main' }),
    service: 'api',
    serviceConfig,
    from: 'v1',
    to: 'v2',
    source: { number: 7, title: 'Bump api to v2', url: 'https://github.com/acme/manifests/pull/7', mergeSha: 'abc' },
    analyses: { [stepKey(1)]: { key: stepKey(1), templates: ['error-rate'], args: [], metrics: [metric] } },
    templatePaths: ['analysis/'],
  }, T0);
}

describe('RolloutEngine status updates', () => {
  let now: number;
  let store: MemoryStore;
  let executed: Executed[];
  let failReportsOnce: boolean;
  let engine: RolloutEngine;
  const id = 'acme/manifests#7/api';

  beforeEach(() => {
    now = T0;
    store = new MemoryStore();
    executed = [];
    failReportsOnce = false;
    const executor: EffectExecutor = {
      async execute(state, effect): Promise<EffectResult> {
        const stored = store.rows.get(state.id)?.state.outbox.find((e) => e.id === effect.id);
        executed.push({ type: effect.type, at: now, started: effect.started === true, storedStarted: stored?.started, phase: state.phase, stepIndex: state.stepIndex });
        switch (effect.type) {
          case 'commit':
            return { type: 'commit', sha: `sha-${effect.id}` };
          case 'publishStatus':
            if (failReportsOnce) {
              failReportsOnce = false;
              throw new EffectError('GitHub answered 502', true);
            }
            return { type: 'publishStatus', statusRef: { forge: 'github', native: { commentId: 11, checkRunId: 22 } } };
          case 'measure':
            return { type: 'measure', measurements: effect.metrics.map((metric) => ({ metric, measurement: { value: 0.01, startedAt: now, finishedAt: now } })) };
          default:
            throw new Error(`unexpected effect ${effect.type}`);
        }
      },
    };
    engine = new RolloutEngine({ store, executor, machine: { analysis: argoAnalysis }, clock: () => now });
  });

  async function tickAt(ms: number): Promise<void> {
    now = T0 + ms;
    await engine.tick();
    await engine.idle();
  }

  const reports = () => executed.filter((e) => e.type === 'publishStatus');

  /** The weight-20 step is applied (sync delay 10 s): the analysis starts and measures, which is no update of its own. */
  const APPLIED = 10_000;
  /** A /promote ends the analysis: the 60% commit is made at once. */
  const PROMOTED = 10_500;

  it('creates the status with the first commit at once, then holds a later change until it is 2 s old', async () => {
    await engine.create(rollout());
    // the first update (creating the comment and check run) shows the first commit and is not held
    expect(executed.map((e) => e.type)).toEqual(['commit', 'publishStatus']);
    expect((await store.get(id))!.state.outbox).toEqual([]);

    await tickAt(APPLIED);
    now = T0 + PROMOTED;
    await engine.dispatch(id, { type: 'command', command: { name: 'promote', full: false }, actor: 'alice' });
    expect(executed.map((e) => e.type)).toEqual(['commit', 'publishStatus', 'measure', 'commit']);
    expect((await store.get(id))!.state.outbox).toEqual([expect.objectContaining({ type: 'publishStatus', urgent: false, at: T0 + PROMOTED })]);

    await tickAt(PROMOTED + STATUS_COALESCE_MS - 1);
    expect(reports()).toHaveLength(1);
    await tickAt(PROMOTED + STATUS_COALESCE_MS);
    expect(reports()).toHaveLength(2);
    expect(reports()[1]).toMatchObject({ phase: 'Progressing', stepIndex: 2 });
    expect((await store.get(id))!.state.outbox).toEqual([]);
  });

  it('changes within 2 s of each other go out as one update that shows the last of them', async () => {
    await engine.create(rollout());
    await tickAt(APPLIED);
    now = T0 + PROMOTED;
    await engine.dispatch(id, { type: 'command', command: { name: 'promote', full: false }, actor: 'alice' });
    // a second change 1 s later joins the update waiting to be sent, and does not move its time
    now = T0 + PROMOTED + 1_000;
    await engine.dispatch(id, { type: 'command', command: { name: 'promote', full: true }, actor: 'alice' });
    expect(executed.map((e) => e.type)).toEqual(['commit', 'publishStatus', 'measure', 'commit', 'commit', 'publishStatus']);
    expect(reports()[1]).toMatchObject({ at: T0 + PROMOTED + 1_000, phase: 'Succeeded' });
  });

  it('a /status within 2 s of a commit sends the waiting update at once, both changes in one', async () => {
    await engine.create(rollout());
    await tickAt(APPLIED);
    now = T0 + PROMOTED;
    await engine.dispatch(id, { type: 'command', command: { name: 'promote', full: false }, actor: 'alice' });
    now = T0 + PROMOTED + 1_500;
    await engine.dispatch(id, { type: 'command', command: { name: 'status' }, actor: 'rita' });
    // /status asks to see it now: one update with both changes
    expect(reports()).toHaveLength(2);
    await tickAt(PROMOTED + STATUS_COALESCE_MS);
    expect(reports()).toHaveLength(2);
  });

  it('shows a pause at once', async () => {
    await engine.create(rollout());
    now = T0 + 500;
    await engine.dispatch(id, { type: 'command', command: { name: 'pause' }, actor: 'alice' });

    expect(reports()).toHaveLength(2);
    expect(reports()[1]).toMatchObject({ at: T0 + 500, phase: 'Paused' });
  });

  it('stores an update that may create the comment as started before it runs; only a later run may look for it', async () => {
    failReportsOnce = true;
    await engine.create(rollout());
    const [first] = reports();
    expect(first).toMatchObject({ started: false, storedStarted: true });

    // the retry after the failure may find a comment the first run made
    const retryAt = (await store.get(id))!.state.outbox.find((e) => e.type === 'publishStatus')!.notBefore!;
    await tickAt(retryAt - T0);
    expect(reports()[1]).toMatchObject({ started: true });
    const state = (await store.get(id))!.state;
    expect(state.statusRef?.native).toEqual({ commentId: 11, checkRunId: 22 });

    // with both ids known, later updates are not marked: they edit by id and never search
    const writesBefore = store.writes.length;
    now = T0 + 60_000;
    await engine.dispatch(id, { type: 'command', command: { name: 'pause' }, actor: 'alice' });
    expect(reports()[2]).toMatchObject({ started: false, storedStarted: undefined });
    expect(store.writes.length - writesBefore).toBe(2); // the command, then the update's result
  });
});
