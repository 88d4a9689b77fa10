import { describe, it, expect } from '@jest/globals';
import { mkdtemp, mkdir, readFile, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { parse } from 'yaml';
import { loadTemplates } from '../../../src/analysis/templates.js';
import { findJudge, loadJudges, parseJudgeText, resolveJudge } from '../../../src/analysis/judge/judges.js';

const JUDGE = `
apiVersion: opsbox.dev/v1alpha1
kind: CanaryJudge
metadata: { name: api-judge }
spec:
  args: [{ name: service }, { name: tolerance, value: "0.25" }]
  interval: 1m
  count: 3
  lookback: 5m
  step: 15s
  confidence: 0.98
  thresholds: { pass: 95, marginal: 75 }
  provider: { prometheus: { address: http://127.0.0.1:9090 } }
  metrics:
    - name: error-rate
      canary: 'errors{service="{{args.service}}",track="canary"}'
      baseline: 'errors{service="{{args.service}}",track="stable"}'
      direction: increase
      tolerance: "{{args.tolerance}}"
      critical: true
    - name: latency-p95
      canary: 'p95{track="canary"}'
      baseline: 'p95{track="stable"}'
      test: tail
      quantile: 0.95
`;

const TEMPLATE = `
apiVersion: argoproj.io/v1alpha1
kind: AnalysisTemplate
metadata: { name: success-rate }
spec:
  metrics:
    - name: success
      successCondition: result[0] > 0.95
      provider: { prometheus: { address: http://127.0.0.1:9090, query: up } }
`;

describe('CanaryJudge loading', () => {
  it('loads judges beside AnalysisTemplates, each loader keeping its own kind', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'judges-'));
    await mkdir(path.join(dir, 'analysis'));
    await writeFile(path.join(dir, 'analysis', 'all.yaml'), `${TEMPLATE}\n---\n${JUDGE}`);
    const judges = await loadJudges(dir, ['analysis']);
    expect(judges.map((judge) => judge.name)).toEqual(['api-judge']);
    expect(findJudge(judges, 'api-judge')?.file).toBe(path.join('analysis', 'all.yaml'));
    expect(findJudge(judges, 'success-rate')).toBeUndefined();
    const templates = await loadTemplates(dir, ['analysis']);
    expect(templates.templates.map((template) => template.name)).toEqual(['success-rate']);
  });

  it('refuses two judges with one name', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'judges-'));
    await writeFile(path.join(dir, 'a.yaml'), JUDGE);
    await writeFile(path.join(dir, 'b.yaml'), JUDGE);
    await expect(loadJudges(dir, ['.'])).rejects.toThrow(/CanaryJudge "api-judge" is defined twice/);
  });

  it('names the file and field of a wrong header', () => {
    const text = JUDGE.replace('opsbox.dev/v1alpha1', 'opsbox.dev/v1');
    expect(() => parseJudgeText(text, 'judge.yaml')).toThrow(/judge\.yaml, template "api-judge": apiVersion/);
  });
});

describe('resolveJudge', () => {
  const [judge] = parseJudgeText(JUDGE, 'judge.yaml');

  it('substitutes arguments and applies the defaults', () => {
    const resolved = resolveJudge(judge, { args: [{ name: 'service', value: 'api' }] });
    expect(resolved).toMatchObject({ intervalMs: 60_000, count: 3, failureLimit: 0, lookbackMs: 300_000, stepMs: 15_000, confidence: 0.98 });
    expect(resolved.prometheus.address).toBe('http://127.0.0.1:9090');
    const [errors, latency] = resolved.metrics;
    expect(errors.canary).toBe('errors{service="api",track="canary"}');
    expect(errors).toMatchObject({ critical: true, weight: 1, noData: 'inconclusive', dryRun: false });
    expect(errors.rule).toMatchObject({ test: 'mann-whitney', direction: 'increase', tolerance: 0.25, minEffect: 0, minSamples: 10 });
    expect(latency.rule).toMatchObject({ test: 'tail', quantile: 0.95 });
  });

  it('requires declared arguments', () => {
    expect(() => resolveJudge(judge)).toThrow(/argument "service" was not supplied/);
  });

  it('marks dry-run metrics from the step', () => {
    const resolved = resolveJudge(judge, { args: [{ name: 'service', value: 'api' }], dryRun: [{ metricName: 'latency.*' }] });
    expect(resolved.metrics.map((metric) => metric.dryRun)).toEqual([false, true]);
  });

  it('says which key is wrong after substitution', () => {
    expect(() => resolveJudge(judge, { args: [{ name: 'service', value: 'api' }, { name: 'tolerance', value: 'lots' }] })).toThrow(
      /spec\.metrics\[0\]\.tolerance: expected a number, got "lots"/,
    );
    const [badDirection] = parseJudgeText(JUDGE.replace('direction: increase', 'direction: up'), 'judge.yaml');
    expect(() => resolveJudge(badDirection, { args: [{ name: 'service', value: 'api' }] })).toThrow(/spec\.metrics\[0\]\.direction/);
  });

  it('refuses a marginal threshold above the pass threshold', () => {
    const [swapped] = parseJudgeText(JUDGE.replace('{ pass: 95, marginal: 75 }', '{ pass: 70, marginal: 75 }'), 'judge.yaml');
    expect(() => resolveJudge(swapped, { args: [{ name: 'service', value: 'api' }] })).toThrow(/thresholds\.marginal \(75\) must not be above/);
  });
});

describe('deploy/crds/canaryjudge.yaml', () => {
  it('defines the CanaryJudge kind of opsbox.dev/v1alpha1', async () => {
    const crd = parse(await readFile(new URL('../../../deploy/crds/canaryjudge.yaml', import.meta.url), 'utf8'));
    expect(crd.spec.group).toBe('opsbox.dev');
    expect(crd.spec.names.kind).toBe('CanaryJudge');
    expect(crd.spec.versions.map((version: { name: string }) => version.name)).toEqual(['v1alpha1']);
  });
});
