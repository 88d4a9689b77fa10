/**
 * What a status comment shows of a CanaryJudge measurement: per judged metric the canary and
 * baseline medians, the effect, the p-value and the verdict, and a chart with both series.
 */
import { decodeJudgement, type StoredJudgement } from '../analysis/judge/run-metric.js';
import { chartNumber } from './chart.js';

export interface JudgedMetricView {
  name: string;
  canary: string;
  baseline: string;
  /** Absolute effect, with the relative effect when the baseline is not zero. */
  effect: string;
  pValue: string;
  verdict: string;
  dryRun: boolean;
  chart?: JudgementChart;
}

/** A Mermaid xychart with two lines: canary first, baseline second. */
export interface JudgementChart {
  title: string;
  labels: string[];
  canary: string[];
  baseline: string[];
}

export interface JudgementView {
  score: string;
  phase: string;
  reason: string;
  metrics: JudgedMetricView[];
}

const CLASSIFICATION_VERDICTS: Record<string, string> = {
  Pass: '✅ Pass',
  High: '❌ High',
  Low: '❌ Low',
  NoData: '⚪ No data',
};

function formatNumber(value: number | null, digits = 3): string {
  if (value === null || !Number.isFinite(value)) return '–';
  if (value === 0) return '0';
  return Number(value.toPrecision(digits)).toString();
}

function formatPValue(value: number | null): string {
  if (value === null) return '–';
  return value < 0.0001 ? '< 0.0001' : formatNumber(value, 2);
}

function formatEffect(effect: number | null, relative: number | null): string {
  if (effect === null) return '–';
  const sign = effect > 0 ? '+' : '';
  const absolute = `${sign}${formatNumber(effect)}`;
  if (relative === null) return effect === 0 ? absolute : `${absolute} (baseline 0)`;
  return `${absolute} (${relative > 0 ? '+' : ''}${Math.round(relative * 100)}%)`;
}

/**
 * The baseline's median; when every baseline sample was missing (the stable version served nothing)
 * the judge compared against zeros, and the cell says so rather than showing a bare 0.
 */
function baselineCell(summary: { median: number | null; n: number }, samples: readonly (number | null)[]): string {
  const idle = summary.n > 0 && samples.length > 0 && samples.every((value) => value === null || Number.isNaN(value));
  return `${formatNumber(summary.median)} (n=${summary.n}${idle ? ', no samples: no traffic, read as 0' : ''})`;
}

function chartOf(name: string, samples: StoredJudgement['metrics'][number]['samples']): JudgementChart | undefined {
  const canary: string[] = [];
  const baseline: string[] = [];
  const length = Math.min(samples.canary.length, samples.baseline.length);
  // Only points where both sides have a number: Mermaid lines cannot have gaps.
  for (let index = 0; index < length; index++) {
    const c = samples.canary[index] === null ? undefined : chartNumber(String(samples.canary[index]));
    const b = samples.baseline[index] === null ? undefined : chartNumber(String(samples.baseline[index]));
    if (c !== undefined && b !== undefined) {
      canary.push(c);
      baseline.push(b);
    }
  }
  if (canary.length < 2) return undefined;
  return {
    title: `${name}: canary vs baseline`.replace(/["%\r\n`]/g, ' '),
    labels: canary.map((_, index) => `${index + 1}`),
    canary,
    baseline,
  };
}

/** The judgement of the latest measurement that carries one; undefined for ordinary metrics. */
export function judgementView(values: readonly (string | undefined)[]): JudgementView | undefined {
  for (let index = values.length - 1; index >= 0; index--) {
    const stored = decodeJudgement(values[index]);
    if (!stored) continue;
    return {
      score: stored.score === null ? '–' : String(stored.score),
      phase: stored.phase,
      reason: stored.reason,
      metrics: stored.metrics.map((metric) => {
        const view: JudgedMetricView = {
          name: metric.name,
          canary: `${formatNumber(metric.value.canary.median)} (n=${metric.value.canary.n})`,
          baseline: baselineCell(metric.value.baseline, metric.samples.baseline),
          effect: formatEffect(metric.value.effect, metric.value.relativeEffect),
          pValue: formatPValue(metric.value.pValue),
          verdict: CLASSIFICATION_VERDICTS[metric.value.classification] ?? metric.value.classification,
          dryRun: metric.dryRun,
        };
        const chart = chartOf(metric.name, metric.samples);
        if (chart) view.chart = chart;
        return view;
      }),
    };
  }
  return undefined;
}

/** The short text a judge measurement shows in the measurements table instead of its JSON. */
export function judgementSummary(value: string | undefined): string | undefined {
  const stored = decodeJudgement(value);
  return stored ? `score ${stored.score ?? '–'} · ${stored.phase}` : undefined;
}
