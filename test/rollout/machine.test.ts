import { describe, expect, it } from '@jest/globals';
import { toRunMetricSpec } from '../../src/analysis/run.js';
import type { RunMetricSpec } from '../../src/analysis/types.js';
import { serviceSchema, type ServiceConfig } from '../../src/config/opsbox.schema.js';
import { argoAnalysis } from '../../src/rollout/analysis-port.js';
import { mayCreateObjects, stepKey, transition } from '../../src/rollout/machine.js';
import { newRollout } from '../../src/rollout/new-rollout.js';
import type { Effect, EffectResult, RevertRef, RolloutEvent, RolloutState, StatusRef } from '../../src/rollout/types.js';
import { makeMetric } from '../analysis/support.js';
import { githubRepoRef } from '../../src/forge/github/github-forge.js';

/** What a forge answers: a revert pull request, and the status view's reference. */
const REVERT: RevertRef = { branch: 'opsbox/revert/api-v2', url: 'https://github.com/acme/manifests/pull/8', label: '#8', thread: { number: 8 }, native: { number: 8 } };
const STATUS: StatusRef = { forge: 'github', native: { commentId: 100, checkRunId: 200 } };

const T0 = Date.parse('2026-11-26T10:00:00Z');
const deps = { analysis: argoAnalysis };

/** The error-rate metric as a rollout stores it; override what a test is about. */
function errorRate(overrides: Partial<RunMetricSpec> = {}): RunMetricSpec {
  const metric = makeMetric({ successCondition: 'result[0] < 0.05', prometheus: { query: 'sum(rate(errors[1m])) / sum(rate(requests[1m]))' } });
  return { ...toRunMetricSpec(metric), ...overrides };
}

function service(raw: Record<string, unknown> = {}): ServiceConfig {
  return serviceSchema.parse({
    image: 'ghcr.io/acme/api',
    canary: { file: 'apps/api/canary.yaml' },
    stable: { file: 'apps/api/stable.yaml' },
    traffic: { provider: 'istio', file: 'apps/api/vs.yaml', stable: 'api-stable', canary: 'api-canary' },
    steps: [
      { setWeight: 10 },
      { analysis: { templates: [{ templateName: 'error-rate' }] } },
      { setWeight: 50 },
      { analysis: { templates: [{ templateName: 'error-rate' }] } },
    ],
    sync: { delay: '30s' },
    ...raw,
  });
}

function rollout(config: ServiceConfig = service(), metrics: RunMetricSpec[] = [errorRate()]): RolloutState {
  const analyses: RolloutState['analyses'] = {};
  config.steps.forEach((step, index) => {
    if ('analysis' in step) analyses[stepKey(index)] = { key: stepKey(index), templates: ['error-rate'], args: [], metrics };
  });
  return newRollout({
    id: 'acme/manifests#7/api',
    repo: githubRepoRef({ installationId: 1, owner: 'acme', repo: 'manifests', defaultBranch: 'main' }),
    service: 'api',
    serviceConfig: config,
    from: 'v1',
    to: 'v2',
    source: { number: 7, title: 'Bump api to v2', url: 'https://github.com/acme/manifests/pull/7', mergeSha: 'abc' },
    analyses,
    templatePaths: ['analysis/'],
  }, T0);
}

/** Drives the machine like the engine does: events in, effects confirmed with the given results. */
class Driver {
  now = T0;
  committed: { kind: string; weight: number; message: string }[] = [];
  closedPulls: number[] = [];
  constructor(public state: RolloutState, private readonly measure: (metric: string) => EffectResult | undefined = () => undefined) {}

  send(event: RolloutEvent) {
    const result = transition(this.state, event, this.now, deps);
    this.state = result.state;
    this.drain();
    return result;
  }

  /** Confirms outbox effects until none is left that can run now (bounded). */
  drain() {
    for (let n = 0; n < 50; n++) {
      const effect = this.state.outbox.find((e) => (e.notBefore ?? 0) <= this.now);
      if (!effect) return;
      const result = this.resultFor(effect);
      if (!result) return;
      this.state = transition(this.state, { type: 'effectDone', effectId: effect.id, result }, this.now, deps).state;
    }
    throw new Error('effects did not settle');
  }

  private resultFor(effect: Effect): EffectResult | undefined {
    switch (effect.type) {
      case 'commit':
        this.committed.push({ kind: effect.kind, weight: effect.weight, message: effect.message });
        return { type: 'commit', sha: `sha${this.committed.length}`.padEnd(40, '0') };
      case 'measure':
        return this.measure(effect.metrics[0]);
      case 'proposeRevert':
        return { type: 'proposeRevert', revert: REVERT };
      case 'withdrawRevert':
        this.closedPulls.push(effect.revert.thread?.number ?? -1);
        return { type: 'withdrawRevert' };
      case 'publishStatus':
        return { type: 'publishStatus', statusRef: STATUS };
    }
  }

  /** Advances the clock to the next wake-up and ticks (bounded). */
  runUntil(done: (s: RolloutState) => boolean, maxTicks = 100) {
    for (let n = 0; n < maxTicks && !done(this.state); n++) {
      if (this.state.wakeAt === undefined) return;
      this.now = Math.max(this.now, this.state.wakeAt);
      this.send({ type: 'tick' });
    }
  }
}

const value = (v: number[]): EffectResult => ({
  type: 'measure',
  measurements: [{ metric: 'error-rate', measurement: { value: v, startedAt: 0, finishedAt: 0 } }],
});

describe('rollout state machine', () => {
  it('commits each weight, waits for sync, analyses, then promotes', () => {
    const driver = new Driver(rollout(), () => value([0.01]));
    driver.send({ type: 'start' });
    expect(driver.committed.map((c) => `${c.kind}:${c.weight}`)).toEqual(['weight:10']);
    expect(driver.state.weight).toBe(10);
    // The analysis waits for the sync delay after the commit.
    expect(driver.state.wakeAt).toBe(T0 + 30_000);

    driver.runUntil((s) => s.phase === 'Succeeded');
    expect(driver.state.phase).toBe('Succeeded');
    expect(driver.committed.map((c) => `${c.kind}:${c.weight}`)).toEqual(['weight:10', 'weight:50', 'promote:0']);
    expect(driver.committed[0].message).toBe(
      'canary(api): weight 10% → v2\n\nOpsBox-Rollout: acme/manifests#7/api\nOpsBox-Step: 1/4\nOpsBox-Source: #7',
    );
    expect(driver.state.weight).toBe(0);
    expect(driver.state.outbox).toEqual([]);
    expect(driver.state.wakeAt).toBeUndefined();
    expect(driver.state.statusRef).toEqual(STATUS);
    expect(Object.keys(driver.state.finishedRuns)).toEqual([stepKey(1), stepKey(3)]);
  });

  it('rolls back on a failing measurement: weight 0 first, then the revert PR', () => {
    const driver = new Driver(rollout(), () => value([0.2]));
    driver.send({ type: 'start' });
    driver.runUntil((s) => s.phase === 'Aborted');
    expect(driver.state.phase).toBe('Aborted');
    expect(driver.committed.map((c) => `${c.kind}:${c.weight}`)).toEqual(['weight:10', 'rollback:0']);
    expect(driver.state.revert).toEqual(REVERT);
    expect(driver.state.failure?.reason).toContain('failed (1) > failureLimit (0)');
    expect(driver.state.failure?.analysis).toBe(stepKey(1));
    expect(driver.state.weight).toBe(0);
  });

  it('orders the rollback commit before the revert PR in the outbox', () => {
    const driver = new Driver(rollout(), () => undefined);
    driver.send({ type: 'start' });
    driver.now += 30_000;
    driver.send({ type: 'tick' });
    const measure = driver.state.outbox.find((e) => e.type === 'measure')!;
    const result = transition(driver.state, { type: 'effectDone', effectId: measure.id, result: value([0.5]) }, driver.now, deps);
    expect(result.state.phase).toBe('Aborting');
    expect(result.state.outbox.map((e) => e.type)).toEqual(['commit', 'publishStatus']);
    expect(result.effects[0]).toMatchObject({ type: 'commit', kind: 'rollback', weight: 0 });
  });

  it('holds at the weight and asks a human when the analysis is inconclusive', () => {
    const metrics = [errorRate({ successCondition: 'result[0] < 0.05', failureCondition: 'result[0] > 0.1' })];
    const driver = new Driver(rollout(service(), metrics), () => value([0.07]));
    driver.send({ type: 'start' });
    driver.runUntil((s) => s.phase === 'Paused');
    expect(driver.state.phase).toBe('Paused');
    expect(driver.state.pauseReason).toBe('inconclusive');
    expect(driver.state.weight).toBe(10);
    expect(driver.committed).toHaveLength(1);
    expect(driver.state.history.at(-1)?.message).toContain('waiting for /promote or /abort');

    driver.send({ type: 'command', command: { name: 'promote', full: false }, actor: 'octocat' });
    expect(driver.committed.map((c) => c.weight)).toEqual([10, 50]);
    expect(driver.state.phase).toBe('Progressing');
  });

  it('with onFailure: pause, holds the weight instead of rolling back', () => {
    const driver = new Driver(rollout(service({ onFailure: 'pause' })), () => value([0.9]));
    driver.send({ type: 'start' });
    driver.runUntil((s) => s.phase !== 'Progressing');
    expect(driver.state.phase).toBe('Paused');
    expect(driver.state.pauseReason).toBe('failure');
    expect(driver.committed.map((c) => c.kind)).toEqual(['weight']);
  });

  it('records every metric measured in the round where one failed, so the evidence shows its value', () => {
    const metrics = [errorRate({ name: 'errors' }), errorRate({ name: 'latency', successCondition: 'result[0] < 0.5' })];
    const driver = new Driver(rollout(service(), metrics), () => ({
      type: 'measure',
      measurements: [
        { metric: 'errors', measurement: { value: [0.2], startedAt: 0, finishedAt: 0 } },
        { metric: 'latency', measurement: { value: [0.1], startedAt: 0, finishedAt: 0 } },
      ],
    }));
    driver.send({ type: 'start' });
    driver.runUntil((s) => s.phase === 'Aborted');
    const latency = driver.state.finishedRuns[stepKey(1)].results.find((r) => r.name === 'latency');
    expect(latency).toMatchObject({ phase: 'Successful', count: 1, measurements: [{ phase: 'Successful', value: '[0.1]' }] });
    expect(driver.state.failure?.reason).toContain('Metric "errors" assessed Failed');
  });

  it('treats an empty Prometheus result as an Error, never a pass', () => {
    const driver = new Driver(rollout(), () => value([]));
    driver.send({ type: 'start' });
    driver.runUntil((s) => s.phase === 'Aborted', 200);
    expect(driver.state.phase).toBe('Aborted');
    expect(driver.state.failure?.reason).toContain('consecutiveErrors (5) > consecutiveErrorLimit (4)');
    expect(driver.committed.map((c) => c.kind)).toEqual(['weight', 'rollback']);
  });

  it('times pauses, and /pause stops the clock until /resume', () => {
    const config = service({ steps: [{ setWeight: 20 }, { pause: { duration: '2m' } }, { setWeight: 60 }], sync: { delay: 0 } });
    const driver = new Driver(rollout(config, []));
    driver.send({ type: 'start' });
    driver.send({ type: 'tick' });
    expect(driver.state.step).toEqual({ kind: 'pause', until: T0 + 120_000 });
    driver.now += 60_000;
    driver.send({ type: 'command', command: { name: 'pause' }, actor: 'octocat' });
    expect(driver.state.phase).toBe('Paused');
    driver.now += 600_000;
    driver.send({ type: 'tick' });
    expect(driver.committed.map((c) => c.weight)).toEqual([20]);
    driver.send({ type: 'command', command: { name: 'resume' }, actor: 'octocat' });
    expect(driver.state.step).toEqual({ kind: 'pause', until: driver.now + 60_000 });
    driver.runUntil((s) => s.phase === 'Succeeded');
    expect(driver.committed.map((c) => `${c.kind}:${c.weight}`)).toEqual(['weight:20', 'weight:60', 'promote:0']);
    expect(driver.state.history.filter((h) => h.actor === 'octocat').map((h) => h.message)).toEqual(['/pause at 20%', '/resume']);
  });

  it('waits on an indefinite pause until /promote', () => {
    const config = service({ steps: [{ setWeight: 20 }, { pause: {} }, { setWeight: 60 }], sync: { delay: 0 } });
    const driver = new Driver(rollout(config, []));
    driver.send({ type: 'start' });
    driver.send({ type: 'tick' });
    expect(driver.state.phase).toBe('Paused');
    expect(driver.state.pauseReason).toBe('step');
    driver.now += 3_600_000;
    driver.send({ type: 'tick' });
    expect(driver.committed).toHaveLength(1);
    driver.send({ type: 'command', command: { name: 'promote', full: false }, actor: 'octocat' });
    driver.runUntil((s) => s.phase === 'Succeeded');
    expect(driver.committed.map((c) => c.weight)).toEqual([20, 60, 0]);
  });

  it('/promote --full skips to one promotion commit', () => {
    const driver = new Driver(rollout(), () => undefined);
    driver.send({ type: 'start' });
    driver.send({ type: 'command', command: { name: 'promote', full: true }, actor: 'octocat' });
    expect(driver.state.phase).toBe('Succeeded');
    expect(driver.committed.map((c) => c.kind)).toEqual(['weight', 'promote']);
  });

  it('/abort rolls back even with onFailure: pause, and /retry starts again from the first step', () => {
    const driver = new Driver(rollout(service({ onFailure: 'pause' })), () => value([0.01]));
    driver.send({ type: 'start' });
    driver.send({ type: 'command', command: { name: 'abort' }, actor: 'octocat' });
    expect(driver.state.phase).toBe('Aborted');
    expect(driver.state.failure?.reason).toBe('aborted by @octocat');
    expect(driver.committed.map((c) => c.kind)).toEqual(['weight', 'rollback']);

    driver.send({ type: 'command', command: { name: 'retry' }, actor: 'octocat' });
    driver.runUntil((s) => s.phase === 'Succeeded');
    expect(driver.state.phase).toBe('Succeeded');
    expect(driver.committed.map((c) => `${c.kind}:${c.weight}`)).toEqual(['weight:10', 'rollback:0', 'weight:10', 'weight:50', 'promote:0']);
  });

  it('/retry closes the open revert pull request; after a merged one it does nothing', () => {
    const driver = new Driver(rollout(), () => value([0.01]));
    driver.send({ type: 'start' });
    driver.send({ type: 'command', command: { name: 'abort' }, actor: 'octocat' });
    expect(driver.state.revert?.label).toBe('#8');

    const refused = driver.send({ type: 'command', command: { name: 'retry', revertMerged: true }, actor: 'octocat' });
    expect(refused.rejected).toBe('the revert pull request #8 was merged, so the canary runs v1 again; merge a new bump to try v2 again');
    expect(driver.state.phase).toBe('Aborted');
    expect(driver.committed).toHaveLength(2);

    driver.send({ type: 'command', command: { name: 'retry', revertMerged: false }, actor: 'octocat' });
    expect(driver.closedPulls).toEqual([8]);
    expect(driver.state.revert).toBeUndefined();
    expect(driver.state.history.map((e) => e.message)).toContain('revert pull request #8 closed');
  });

  it('/promote does not end a weight step being applied, so two at once move one step', () => {
    const driver = new Driver(rollout(), () => undefined);
    driver.send({ type: 'start' });
    const early = driver.send({ type: 'command', command: { name: 'promote', full: false }, actor: 'octocat' });
    expect(early.rejected).toMatch(/^step 1 \(weight 10%\) is being applied/);
    driver.now += 30_000;
    driver.send({ type: 'tick' });
    expect(driver.state.step?.kind).toBe('analysis');

    const first = driver.send({ type: 'command', command: { name: 'promote', full: false }, actor: 'a' });
    const second = driver.send({ type: 'command', command: { name: 'promote', full: false }, actor: 'b' });
    expect(first.rejected).toBeUndefined();
    expect(second.rejected).toBeDefined();
    expect(driver.state.stepIndex).toBe(2);
    expect(driver.committed.map((c) => c.weight)).toEqual([10, 50]);
  });

  it('two /promote for the same step end one step, even when the next step is not a weight step', () => {
    const config = service({ steps: [{ setWeight: 20 }, { pause: {} }, { pause: {} }, { setWeight: 60 }], sync: { delay: 0 } });
    const driver = new Driver(rollout(config, []));
    driver.send({ type: 'start' });
    driver.send({ type: 'tick' });
    expect(driver.state.stepIndex).toBe(1);

    const first = driver.send({ type: 'command', command: { name: 'promote', full: false, step: 1 }, actor: 'a', commandId: '1' });
    const second = driver.send({ type: 'command', command: { name: 'promote', full: false, step: 1 }, actor: 'b', commandId: '2' });
    expect(first.rejected).toBeUndefined();
    expect(second.rejected).toBe('step 2 has ended already and the rollout is at step 3; send /promote again to end that one too');
    expect(driver.state.stepIndex).toBe(2);
    expect(driver.state.phase).toBe('Paused');
    expect(driver.state.commandIds).toEqual(['1']);

    const third = driver.send({ type: 'command', command: { name: 'promote', full: false, step: 2 }, actor: 'b', commandId: '3' });
    expect(third.rejected).toBeUndefined();
    expect(driver.committed.map((c) => c.weight)).toEqual([20, 60]);
  });

  it('/promote written before the current step started does not end it, whatever step index the edge read', () => {
    const config = service({ steps: [{ setWeight: 20 }, { pause: {} }, { pause: {} }, { setWeight: 60 }], sync: { delay: 0 } });
    const driver = new Driver(rollout(config, []));
    driver.send({ type: 'start' });
    driver.now += 10_000;
    driver.send({ type: 'tick' });
    expect([driver.state.stepIndex, driver.state.stepStartedAt]).toEqual([1, T0 + 10_000]);

    // written while step 2 ran, carried out after a person ended step 2 another way
    const writtenDuringStep2 = T0 + 20_000;
    driver.now += 30_000;
    driver.send({ type: 'command', command: { name: 'resume' }, actor: 'a', commandId: '1' });
    expect([driver.state.stepIndex, driver.state.stepStartedAt]).toEqual([2, T0 + 40_000]);
    const late = driver.send({
      type: 'command',
      command: { name: 'promote', full: false, step: 2, commentedAt: writtenDuringStep2 },
      actor: 'b',
      commandId: '2',
    });
    expect(late.rejected).toBe(
      'it was written before step 3 started (2026-11-26T10:00:40Z), so it was meant for an earlier step; send /promote again to end step 3',
    );
    expect(driver.state.stepIndex).toBe(2);
    expect(driver.state.commandIds).toEqual(['1']);

    // written once step 3 had started (the same second counts as after: GitHub keeps whole seconds)
    const fresh = driver.send({
      type: 'command',
      command: { name: 'promote', full: false, step: 2, commentedAt: T0 + 40_000 },
      actor: 'b',
      commandId: '3',
    });
    expect(fresh.rejected).toBeUndefined();
    expect(driver.committed.map((c) => c.weight)).toEqual([20, 60]);
  });

  it('/retry starts the first step anew: a /promote written before the retry does not end it', () => {
    const config = service({ steps: [{ pause: {} }, { setWeight: 60 }], sync: { delay: 0 } });
    const driver = new Driver(rollout(config, []));
    driver.send({ type: 'start' });
    const writtenAt = driver.now + 5_000;
    driver.now += 10_000;
    driver.send({ type: 'command', command: { name: 'abort' }, actor: 'a' });
    driver.now += 10_000;
    driver.send({ type: 'command', command: { name: 'retry' }, actor: 'a' });
    expect([driver.state.phase, driver.state.stepIndex, driver.state.stepStartedAt]).toEqual(['Paused', 0, T0 + 20_000]);
    const stale = driver.send({ type: 'command', command: { name: 'promote', full: false, step: 0, commentedAt: writtenAt }, actor: 'b' });
    expect(stale.rejected).toMatch(/^it was written before step 1 started/);
    expect(driver.state.phase).toBe('Paused');
  });

  it('a command with an id it has applied before changes nothing', () => {
    const driver = new Driver(rollout(), () => undefined);
    driver.send({ type: 'start' });
    driver.send({ type: 'command', command: { name: 'pause' }, actor: 'octocat', commandId: '77' });
    driver.send({ type: 'command', command: { name: 'resume' }, actor: 'octocat', commandId: '78' });
    const again = driver.send({ type: 'command', command: { name: 'pause' }, actor: 'octocat', commandId: '77' });
    expect(again.duplicate).toBe(true);
    expect(again.rejected).toBeUndefined();
    expect(driver.state.phase).toBe('Progressing');
    expect(driver.state.commandIds).toEqual(['77', '78']);
  });

  it('/status refreshes the report in any phase and is recorded', () => {
    const driver = new Driver(rollout(), () => undefined);
    driver.send({ type: 'start' });
    driver.send({ type: 'command', command: { name: 'promote', full: true }, actor: 'octocat' });
    expect(driver.state.phase).toBe('Succeeded');
    const status = transition(driver.state, { type: 'command', command: { name: 'status' }, actor: 'rita' }, driver.now, deps);
    expect(status.rejected).toBeUndefined();
    expect(status.effects).toEqual([expect.objectContaining({ type: 'publishStatus', final: true })]);
    expect(status.state.history.at(-1)).toMatchObject({ actor: 'rita', message: '/status' });
  });

  it('/promote --full drops a weight commit not made yet: one promotion commit', () => {
    const started = transition(rollout(), { type: 'start' }, T0, deps);
    // the first update follows the first commit, so creating the comment shows it
    expect(started.state.outbox.map((e) => e.type)).toEqual(['commit', 'publishStatus']);
    const full = transition(started.state, { type: 'command', command: { name: 'promote', full: true }, actor: 'octocat' }, T0, deps);
    const commits = full.state.outbox.filter((e) => e.type === 'commit');
    expect(commits).toEqual([expect.objectContaining({ kind: 'promote', weight: 0 })]);
  });

  it('says which updates are shown at once: the first, a pause, a failure; a command joins the waiting one', () => {
    const reportOf = (state: RolloutState) => state.outbox.find((e) => e.type === 'publishStatus');
    const started = transition(rollout(), { type: 'start' }, T0, deps);
    expect(reportOf(started.state)).toMatchObject({ urgent: true, final: false, at: T0 });

    const idle = { ...started.state, outbox: [] };
    const promoted = transition(idle, { type: 'command', command: { name: 'status' }, actor: 'octocat' }, T0 + 1, deps);
    expect(reportOf(promoted.state)).toMatchObject({ urgent: true });
    const paused = transition(idle, { type: 'command', command: { name: 'pause' }, actor: 'octocat' }, T0 + 1, deps);
    expect(reportOf(paused.state)).toMatchObject({ urgent: true, at: T0 + 1 });
    const aborted = transition(idle, { type: 'command', command: { name: 'abort' }, actor: 'octocat' }, T0 + 1, deps);
    expect(reportOf(aborted.state)).toMatchObject({ urgent: true });

    // a change joining an update not sent yet keeps the time of the first change
    const waiting = { ...idle, outbox: [{ id: 99, type: 'publishStatus' as const, final: false, urgent: false, at: T0 }] };
    const resumedLater = transition({ ...waiting, phase: 'Paused' as const, pauseReason: 'command' as const }, { type: 'command', command: { name: 'resume' }, actor: 'octocat' }, T0 + 1_500, deps);
    expect(resumedLater.state.outbox.filter((e) => e.type === 'publishStatus')).toEqual([expect.objectContaining({ id: 99, urgent: false, at: T0 })]);
  });

  it('an effect that may create objects is marked started by effectStarted; mayCreateObjects says which', () => {
    const started = transition(rollout(), { type: 'start' }, T0, deps);
    const report = started.state.outbox.find((e) => e.type === 'publishStatus')!;
    expect(mayCreateObjects(started.state, report)).toBe(true);
    const marked = transition(started.state, { type: 'effectStarted', effectId: report.id }, T0, deps);
    expect(marked.state.outbox.find((e) => e.id === report.id)).toMatchObject({ started: true });
    expect(marked.effects).toEqual([]);
    const known = { ...started.state, statusRef: STATUS };
    expect(mayCreateObjects(known, report)).toBe(false);
    expect(mayCreateObjects(known, started.state.outbox.find((e) => e.type === 'commit')!)).toBe(false);
  });

  it('rejects commands that do not apply to the phase, changing nothing', () => {
    const driver = new Driver(rollout(), () => value([0.01]));
    driver.send({ type: 'start' });
    const before = driver.state;
    const resumed = transition(before, { type: 'command', command: { name: 'resume' }, actor: 'octocat' }, driver.now, deps);
    expect(resumed.rejected).toBe('/resume applies to a paused rollout; this one is Progressing');
    expect(resumed.effects).toEqual([]);
    driver.runUntil((s) => s.phase === 'Succeeded');
    const late = transition(driver.state, { type: 'command', command: { name: 'abort' }, actor: 'octocat' }, driver.now, deps);
    expect(late.rejected).toBe('the rollout is already Succeeded');
  });

  it('a superseded rollout drops its pending commits and stops', () => {
    const driver = new Driver(rollout());
    const started = transition(driver.state, { type: 'start' }, T0, deps);
    expect(started.state.outbox.some((e) => e.type === 'commit')).toBe(true);
    const superseded = transition(started.state, { type: 'supersede', by: 'acme/manifests#9/api', to: 'v3', sourceNumber: 9 }, T0, deps);
    expect(superseded.state.phase).toBe('Superseded');
    expect(superseded.state.outbox.map((e) => e.type)).toEqual(['publishStatus']);
    expect(superseded.state.history.at(-1)?.message).toBe('superseded by v3 from #9');
  });

  it('an ended rollout whose last report failed wakes for the retry, not at once', () => {
    const started = transition(rollout(), { type: 'start' }, T0, deps);
    const superseded = transition(started.state, { type: 'supersede', by: 'acme/manifests#9/api', to: 'v3', sourceNumber: 9 }, T0, deps);
    const report = superseded.state.outbox.find((e) => e.type === 'publishStatus')!;
    expect(superseded.state.wakeAt).toBe(T0);
    const failed = transition(superseded.state, { type: 'effectFailed', effectId: report.id, error: 'HTTP 502', retryable: true }, T0, deps);
    expect(failed.state.wakeAt).toBe(T0 + 15_000);
    const ticked = transition(failed.state, { type: 'tick' }, T0 + 1_000, deps);
    expect(ticked.state.wakeAt).toBe(T0 + 15_000);
  });

  it('a measurement waiting for its retry sets the wake-up; the due analysis does not wake it every second', () => {
    const driver = new Driver(rollout(), () => undefined);
    driver.send({ type: 'start' });
    driver.now += 30_000;
    driver.send({ type: 'tick' });
    const measure = driver.state.outbox.find((e) => e.type === 'measure')!;
    const failed = transition(driver.state, { type: 'effectFailed', effectId: measure.id, error: 'HTTP 502', retryable: true }, driver.now, deps);
    expect(failed.state.wakeAt).toBe(driver.now + 15_000);
  });

  it('ignores a duplicate confirmation and a replayed start', () => {
    const driver = new Driver(rollout());
    const started = transition(driver.state, { type: 'start' }, T0, deps);
    const commit = started.state.outbox.find((e) => e.type === 'commit')!;
    const once = transition(started.state, { type: 'effectDone', effectId: commit.id, result: { type: 'commit', sha: 'a'.repeat(40) } }, T0, deps);
    const twice = transition(once.state, { type: 'effectDone', effectId: commit.id, result: { type: 'commit', sha: 'a'.repeat(40) } }, T0, deps);
    expect(twice.state.commits).toHaveLength(1);
    const replayed = transition(twice.state, { type: 'start' }, T0, deps);
    expect(replayed.effects).toEqual([]);
  });

  it('retries a failed commit later, and fails the rollout after repeated failures', () => {
    const started = transition(rollout(), { type: 'start' }, T0, deps);
    const commit = started.state.outbox.find((e) => e.type === 'commit')!;
    let state = started.state;
    for (let attempt = 1; attempt < 5; attempt++) {
      state = transition(state, { type: 'effectFailed', effectId: commit.id, error: 'HTTP 502', retryable: true }, T0, deps).state;
      expect(state.outbox.find((e) => e.id === commit.id)?.attempts).toBe(attempt);
    }
    expect(state.outbox.find((e) => e.id === commit.id)?.notBefore).toBe(T0 + 4 * 15_000);
    state = transition(state, { type: 'effectFailed', effectId: commit.id, error: 'HTTP 502', retryable: true }, T0, deps).state;
    expect(state.phase).toBe('Aborting');
    expect(state.failure?.reason).toContain('could not commit the weight 10% commit: HTTP 502');
  });
});
