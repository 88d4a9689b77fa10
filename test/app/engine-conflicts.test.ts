import { describe, expect, it } from '@jest/globals';
import { serviceSchema } from '../../src/config/opsbox.schema.js';
import { argoAnalysis } from '../../src/rollout/analysis-port.js';
import { MAX_CONFLICT_RETRIES, RolloutEngine, type EffectExecutor } from '../../src/app/engine.js';
import { transition } from '../../src/rollout/machine.js';
import { newRollout } from '../../src/rollout/new-rollout.js';
import type { Effect, EffectResult, RolloutEvent, RolloutState } from '../../src/rollout/types.js';
import { VersionConflictError } from '../../src/state/store.js';
import { MemoryStore } from '../support/memory-store.js';
import { githubRepoRef } from '../../src/forge/github/github-forge.js';

const T0 = Date.parse('2026-11-26T10:00:00Z');
const machine = { analysis: argoAnalysis };
const ID = 'acme/manifests#7/api';

/** weight 10, a pause until /promote, weight 50: no Prometheus needed. */
function rollout(): RolloutState {
  return newRollout(
    {
      id: ID,
      repo: githubRepoRef({ installationId: 1, owner: 'acme', repo: 'manifests', defaultBranch: 'main' }),
      service: 'api',
      serviceConfig: serviceSchema.parse({
        image: 'ghcr.io/acme/api',
        canary: { file: 'apps/api/canary.yaml' },
        stable: { file: 'apps/api/stable.yaml' },
        traffic: { provider: 'istio', file: 'apps/api/vs.yaml', stable: 'api-stable', canary: 'api-canary' },
        steps: [{ setWeight: 10 }, { pause: {} }, { setWeight: 50 }, { pause: {} }],
        sync: { delay: '30s' },
      }),
      from: 'v1',
      to: 'v2',
      source: { number: 7, title: 'Bump api to v2', url: 'https://github.com/acme/manifests/pull/7', mergeSha: 'abc' },
      analyses: {},
      templatePaths: [],
    },
    T0,
  );
}

/** A store shared with an imagined second process (see MemoryStore's `beforePut`). */
class SharedStore extends MemoryStore {
  /** A write as the other process makes it: read, apply an event, write. */
  async writeAsOther(event: RolloutEvent, now: number): Promise<void> {
    const row = this.rows.get(ID)!;
    this.write(transition(row.state, event, now, machine).state, row.version);
  }
}

/** Confirms every effect at once; `during` runs while an effect is being carried out. */
class RecordingExecutor implements EffectExecutor {
  readonly done: string[] = [];
  during: ((effect: Effect) => Promise<void>) | undefined;

  async execute(_state: RolloutState, effect: Effect): Promise<EffectResult> {
    if (this.during) await this.during(effect);
    switch (effect.type) {
      case 'commit':
        this.done.push(`commit:${effect.kind}:${effect.weight}`);
        return { type: 'commit', sha: `${effect.weight}`.padEnd(40, 'f') };
      case 'publishStatus':
        return { type: 'publishStatus', statusRef: { forge: 'github', native: { commentId: 100, checkRunId: 200 } } };
      default:
        throw new Error(`unexpected effect ${effect.type}`);
    }
  }
}

async function atFirstPause(store: SharedStore, executor: RecordingExecutor, clock: { now: number }) {
  const engine = new RolloutEngine({ store, machine, executor, clock: () => clock.now });
  expect(await engine.create(rollout())).toBe(true);
  clock.now += 30_000;
  await engine.dispatch(ID, { type: 'tick' });
  const stored = (await store.get(ID))!.state;
  expect([stored.phase, stored.stepIndex]).toEqual(['Paused', 1]);
  return engine;
}

const promote = (commandId: string): RolloutEvent => ({ type: 'command', command: { name: 'promote', full: false }, actor: 'alice', commandId });
const help = (commandId: string): RolloutEvent => ({ type: 'command', command: { name: 'help' }, actor: 'bob', commandId });

describe('rollout engine and a store shared with another writer', () => {
  it('applies an event again on top of a write that came in between, keeping both', async () => {
    const store = new SharedStore();
    const executor = new RecordingExecutor();
    const clock = { now: T0 };
    const engine = await atFirstPause(store, executor, clock);

    let raced = false;
    store.beforePut = async () => {
      if (raced) return;
      raced = true;
      await store.writeAsOther(help('c-help'), clock.now);
    };
    const decision = await engine.dispatch(ID, promote('c-promote'));

    expect(decision?.rejected).toBeUndefined();
    const { state } = (await store.get(ID))!;
    const messages = state.history.map((entry) => entry.message);
    expect(messages).toContain('/help');
    expect(messages).toContain('/promote: step 2 ended by hand');
    expect(state.commandIds).toEqual(['c-help', 'c-promote']);
    expect(state.stepIndex).toBe(2);
    expect(executor.done).toEqual(['commit:weight:10', 'commit:weight:50']);
  });

  it("records an effect's result even when the rollout changed while the effect ran", async () => {
    const store = new SharedStore();
    const executor = new RecordingExecutor();
    const clock = { now: T0 };
    const engine = await atFirstPause(store, executor, clock);

    executor.during = async (effect) => {
      if (effect.type === 'commit' && effect.weight === 50) await store.writeAsOther(help('c-help'), clock.now);
    };
    await engine.dispatch(ID, promote('c-promote'));

    const { state } = (await store.get(ID))!;
    expect(state.commits.map((c) => `${c.kind}:${c.weight}:${c.sha?.slice(0, 2)}`)).toEqual(['weight:10:10', 'weight:50:50']);
    expect(state.weight).toBe(50);
    expect(state.outbox.filter((e) => e.type === 'commit')).toEqual([]);
    expect(state.history.map((entry) => entry.message)).toContain('/help');
    // the commit ran once: its result was stored on the newer version, not replayed
    expect(executor.done).toEqual(['commit:weight:10', 'commit:weight:50']);
  });

  it('gives up after a bounded number of conflicts and says so, leaving the stored rollout as the other writer left it', async () => {
    const store = new SharedStore();
    const executor = new RecordingExecutor();
    const clock = { now: T0 };
    const engine = await atFirstPause(store, executor, clock);
    const before = store.puts;

    let n = 0;
    store.beforePut = async () => {
      n += 1;
      await store.writeAsOther(help(`c-help-${n}`), clock.now);
    };
    await expect(engine.dispatch(ID, promote('c-promote'))).rejects.toBeInstanceOf(VersionConflictError);

    expect(store.puts - before).toBe(MAX_CONFLICT_RETRIES + 1);
    const { state } = (await store.get(ID))!;
    expect(state.stepIndex).toBe(1);
    expect(state.commandIds).not.toContain('c-promote');
  });

  it('a rollout another process stored first is not started twice', async () => {
    const store = new SharedStore();
    const executor = new RecordingExecutor();
    const engine = new RolloutEngine({ store, machine, executor, clock: () => T0 });
    store.beforePut = (state, expected) => {
      store.beforePut = undefined;
      if (expected === 0) store.rows.set(state.id, { state: structuredClone(state), version: 1 });
    };
    expect(await engine.create(rollout())).toBe(false);
    expect(executor.done).toEqual([]);
  });
});
