import { describe, it, expect } from '@jest/globals';
import { parseJudgeText, resolveJudge } from '../../../src/analysis/judge/judges.js';
import { runJudge, takeJudgement } from '../../../src/analysis/judge/measure.js';
import { FakeClock } from '../support.js';
import { SeriesProvider, jitter } from './support.js';

const JUDGE = `
apiVersion: opsbox.dev/v1alpha1
kind: CanaryJudge
metadata: { name: api-judge }
spec:
  interval: 1m
  count: 3
  lookback: 5m
  step: 15s
  provider: { prometheus: { address: http://127.0.0.1:9090 } }
  metrics:
    - name: error-rate
      canary: canary_errors
      baseline: stable_errors
      critical: true
`;

const judge = resolveJudge(parseJudgeText(JUDGE, 'judge.yaml')[0]);
const healthy = (at: number) => 0.004 + 0.001 * jitter(at, 1);
const doubled = (at: number) => 0.008 + 0.001 * jitter(at, 2);

describe('takeJudgement', () => {
  it('queries both sides over the lookback, capped at the time since the weight was applied', async () => {
    const provider = new SeriesProvider({ canary_errors: healthy, stable_errors: healthy });
    const now = Date.parse('2025-01-01T00:10:00Z');
    await takeJudgement(judge, provider, now);
    expect(provider.ranges.map((r) => [r.query, (r.endMs - r.startMs) / 1000])).toEqual([
      ['canary_errors', 300],
      ['stable_errors', 300],
    ]);
    provider.ranges.length = 0;
    const judgement = await takeJudgement(judge, provider, now, now - 180_000);
    expect(provider.ranges[0].endMs - provider.ranges[0].startMs).toBe(180_000);
    // 3 minutes at 15s: 13 samples per side, enough for minSamples 10.
    expect(judgement?.result?.metrics[0].value.canary.n).toBe(13);
  });

  it('waits (no judgement) while the window is short of minSamples', async () => {
    const provider = new SeriesProvider({ canary_errors: healthy, stable_errors: healthy });
    const now = Date.parse('2025-01-01T00:10:00Z');
    expect(await takeJudgement(judge, provider, now, now - 60_000)).toBeNull();
  });

  it('turns a failing query into an error judgement', async () => {
    const provider = new SeriesProvider({ canary_errors: healthy, stable_errors: healthy });
    provider.failing = true;
    const judgement = await takeJudgement(judge, provider, Date.now());
    expect(judgement?.error).toMatch(/HTTP 503/);
  });
});

describe('runJudge', () => {
  it('passes a healthy canary after count judgements, one per interval', async () => {
    const clock = new FakeClock();
    const provider = new SeriesProvider({ canary_errors: healthy, stable_errors: healthy });
    const state = await runJudge(judge, { provider, clock, weightAppliedAt: clock.now() });
    expect(state.phase).toBe('Successful');
    expect(state.judgements).toHaveLength(3);
    expect(state.score).toBe(100);
  });

  it('does not count warm-up: the first judgement waits for minSamples on both sides', async () => {
    const clock = new FakeClock();
    const start = clock.now();
    const provider = new SeriesProvider({ canary_errors: healthy, stable_errors: healthy });
    const state = await runJudge(judge, { provider, clock, weightAppliedAt: start });
    // minSamples 10 at 15s needs 135s of data: the first judgement is taken at 2m15s, not 1m.
    expect(state.judgements[0].at - start).toBe(135_000);
  });

  it('fails at the first failing judgement (failureLimit 0)', async () => {
    const clock = new FakeClock();
    const provider = new SeriesProvider({ canary_errors: doubled, stable_errors: healthy });
    const state = await runJudge(judge, { provider, clock });
    expect(state.phase).toBe('Failed');
    expect(state.judgements).toHaveLength(1);
    expect(state.message).toMatch(/critical metric error-rate failed/);
  });

  it('ends in Error after repeated query failures', async () => {
    const clock = new FakeClock();
    const provider = new SeriesProvider({ canary_errors: healthy, stable_errors: healthy });
    provider.failing = true;
    const state = await runJudge(judge, { provider, clock });
    expect(state.phase).toBe('Error');
    expect(state.judgements).toHaveLength(4);
  });
});

describe('takeJudgement through the Prometheus provider', () => {
  it('refuses an address outside the allowlist, as for AnalysisTemplates', async () => {
    const { PrometheusProvider } = await import('../../../src/analysis/prometheus.js');
    const { createAllowlist } = await import('../../../src/analysis/allowlist.js');
    const provider = new PrometheusProvider({ allowlist: createAllowlist(['http://127.0.0.1:9191']) });
    const judgement = await takeJudgement(judge, provider, Date.parse('2025-01-01T00:10:00Z'));
    expect(judgement?.error).toMatch(/Prometheus address .*127\.0\.0\.1:9090.* is not allowed/);
  });

  it('measures both sides through a Prometheus HTTP API on loopback', async () => {
    const { startFakePrometheus } = await import('../../support/fake-prometheus.js');
    const { PrometheusProvider } = await import('../../../src/analysis/prometheus.js');
    const { createAllowlist } = await import('../../../src/analysis/allowlist.js');
    const fake = await startFakePrometheus();
    try {
      fake.answer(Array.from({ length: 12 }, (_, i) => 0.004 + i * 0.0001));
      const local = resolveJudge(parseJudgeText(JUDGE.replace('http://127.0.0.1:9090', fake.url), 'judge.yaml')[0]);
      const provider = new PrometheusProvider({ allowlist: createAllowlist([fake.url]) });
      const judgement = await takeJudgement(local, provider, Date.parse('2025-01-01T00:10:00Z'));
      expect(judgement?.result?.metrics[0].value).toMatchObject({ canary: { n: 12 }, baseline: { n: 12 }, classification: 'Pass' });
      expect(fake.queries).toEqual(['canary_errors', 'stable_errors']);
    } finally {
      await fake.close();
    }
  });
});
