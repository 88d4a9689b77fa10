import { afterEach, describe, expect, it } from '@jest/globals';
import { AppHarness, FULL_NAME, bumpApi, fixtureFiles, weights } from '../support/app-harness.js';

const CANARY = 'apps/api/canary.yaml';
const VS = 'apps/api/virtualservice.yaml';

const JUDGE = `apiVersion: opsbox.dev/v1alpha1
kind: CanaryJudge
metadata: { name: api-judge }
spec:
  args: [{ name: service }]
  interval: 1m
  count: 2
  lookback: 5m
  step: 15s
  metrics:
    - name: error-rate
      canary: 'errors{service="{{args.service}}",track="canary"}'
      baseline: 'errors{service="{{args.service}}",track="stable"}'
      critical: true
`;

/** Twelve samples per side (one series each in the fake): enough for minSamples 10. */
const samples = (center: number) => Array.from({ length: 12 }, (_, i) => center + (0.001 * ((i * 5) % 12)) / 12);

describe('a step analysis that names a CanaryJudge, end to end', () => {
  let h: AppHarness;

  afterEach(async () => {
    await h.close();
  });

  async function start(): Promise<void> {
    const files = await fixtureFiles();
    files['analysis/api-judge.yaml'] = JUDGE;
    files['.github/opsbox.yml'] = files['.github/opsbox.yml'].replace(
      "- analysis: { templates: [{ templateName: error-rate }], args: [{ name: service, value: api }] }\n      - setWeight: 50",
      "- analysis: { templates: [{ templateName: api-judge }], args: [{ name: service, value: api }] }\n      - setWeight: 50",
    );
    h = await AppHarness.start({ files });
    h.prometheus.answer([0.01]);
    h.prometheus.answerQuery('track="stable"', samples(0.004));
  }

  it('passes a canary that matches the stable version and shows the judgement in the status comment', async () => {
    await start();
    h.prometheus.answerQuery('track="canary"', samples(0.004));
    const pr = await h.mergeBump({ [CANARY]: bumpApi(h.file(CANARY), 'v2') }, { title: 'Bump api to v2' });
    await h.advanceUntil(async () => (await h.rollouts())[0].phase === 'Succeeded', 30_000);
    expect(h.prometheus.queries).toContain('errors{service="api",track="canary"}');
    const status = String(h.github.comments(FULL_NAME, pr.number)[0].body);
    expect(status).toMatch(/\| `error-rate` \| 0\.004\d* \(n=12\) \| 0\.004\d* \(n=12\) \| 0 \(0%\) \| 1 \| ✅ Pass \|/);
    expect(status).toContain('title "error-rate: canary vs baseline"');
  });

  it('rolls back a canary whose error rate doubled against the stable version', async () => {
    await start();
    h.prometheus.answerQuery('track="canary"', samples(0.008));
    await h.mergeBump({ [CANARY]: bumpApi(h.file(CANARY), 'v2') }, { title: 'Bump api to v2' });
    await h.advanceUntil(async () => (await h.rollouts())[0].phase === 'Aborted', 30_000);
    expect(weights(h.file(VS))).toEqual([100, 0]);
    const [rollout] = await h.rollouts();
    expect(rollout.failure?.reason).toMatch(/api-judge/);
    const pulls = h.github.pullRequests(FULL_NAME, { state: 'open' });
    expect(pulls[0].body).toContain('❌ High');
  });
});
