/**
 * deploy/grafana/opsbox-canary.json: every panel's PromQL parses (Prometheus' own grammar,
 * @prometheus-io/lezer-promql) and names only metrics the app's /metrics exposes.
 */
import { describe, expect, it } from '@jest/globals';
import { readFile } from 'node:fs/promises';
import { parser } from '@prometheus-io/lezer-promql';
import { OpsboxMetrics } from '../../src/metrics/metrics.js';

const DASHBOARD = new URL('../../deploy/grafana/opsbox-canary.json', import.meta.url);

interface Panel {
  title: string;
  targets?: { expr: string }[];
  panels?: Panel[];
}

/** Syntax errors and the metric names of the vector selectors of one query. */
function readPromQL(query: string): { errors: string[]; metrics: string[] } {
  const errors: string[] = [];
  const metrics: string[] = [];
  parser.parse(query).iterate({
    enter(node) {
      if (node.type.isError) errors.push(`syntax error at ${node.from}: "${query.slice(Math.max(0, node.from - 10), node.to + 10)}"`);
      if (node.name === 'Identifier' && node.node.parent?.name === 'VectorSelector') metrics.push(query.slice(node.from, node.to));
    },
  });
  return { errors, metrics };
}

/** Every series name /metrics can carry: histograms as their _bucket, _sum and _count series. */
async function exposedNames(): Promise<Set<string>> {
  const { body } = await new OpsboxMetrics(() => []).exposition();
  const names = new Set<string>();
  for (const [, name, type] of body.matchAll(/^# TYPE (\S+) (\S+)$/gm)) {
    if (type === 'histogram') for (const suffix of ['_bucket', '_sum', '_count']) names.add(name + suffix);
    else names.add(name);
  }
  return names;
}

function queries(panels: Panel[]): { panel: string; expr: string }[] {
  return panels.flatMap((panel) => [...(panel.targets ?? []).map((t) => ({ panel: panel.title, expr: t.expr })), ...queries(panel.panels ?? [])]);
}

describe('the Grafana dashboard', () => {
  it('has panels for active rollouts, results, step durations, measurements and the GitHub budget', async () => {
    const dashboard = JSON.parse(await readFile(DASHBOARD, 'utf8')) as { panels: Panel[] };
    const all = queries(dashboard.panels).map((q) => q.expr).join('\n');
    for (const metric of ['opsbox_rollouts{', 'opsbox_rollouts_finished_total', 'opsbox_step_duration_seconds_bucket', 'opsbox_analysis_measurements_total', 'opsbox_github_rate_limit_remaining', 'opsbox_github_requests_total']) {
      expect(all).toContain(metric);
    }
  });

  it('parses every query and names only metrics that /metrics exposes', async () => {
    const dashboard = JSON.parse(await readFile(DASHBOARD, 'utf8')) as { panels: Panel[] };
    const exposed = await exposedNames();
    const found = queries(dashboard.panels);
    expect(found.length).toBeGreaterThan(10);
    const problems: string[] = [];
    for (const { panel, expr } of found) {
      const { errors, metrics } = readPromQL(expr);
      if (metrics.length === 0) problems.push(`${panel}: names no metric`);
      for (const error of errors) problems.push(`${panel}: ${error}`);
      for (const metric of metrics) if (!exposed.has(metric)) problems.push(`${panel}: ${metric} is not exposed by /metrics`);
    }
    expect(problems).toEqual([]);
  });

  it('catches a query that does not parse or names an unknown metric', async () => {
    const exposed = await exposedNames();
    expect(readPromQL('sum(rate(opsbox_rollouts_finished_total[5m])').errors).not.toEqual([]);
    const { metrics } = readPromQL('sum(rate(opsbox_rollouts_finishd_total[5m]))');
    expect(metrics.filter((m) => !exposed.has(m))).toEqual(['opsbox_rollouts_finishd_total']);
  });
});
