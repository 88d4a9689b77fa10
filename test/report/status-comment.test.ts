import { describe, expect, it } from '@jest/globals';
import type { RolloutState } from '../../src/rollout/types.js';
import { BODY_LIMIT, renderStatusComment, statusMarker } from '../../src/report/render.js';
import { buildRolloutView } from '../../src/report/view.js';
import { mermaidCharts, promqlBlocks, tableRows } from './markdown-checks.js';
import {
  abortedAfterFailingMetric,
  context,
  ERROR_RATE_QUERY,
  errorRateMetric,
  LATENCY_QUERY,
  measurement,
  pausedAfterInconclusive,
  progressingAtAnalysis,
  SHA_PROMOTE,
  SHA_ROLLBACK,
  SHA_WEIGHT_10,
  SHA_WEIGHT_50,
  succeeded,
  superseded,
  T0,
} from './rollouts.js';

const render = (state: RolloutState, now = T0 + 200_000) => renderStatusComment(buildRolloutView(state, context(now)));
const commit = (sha: string) => `(https://github.com/acme/manifests/commit/${sha})`;

/** The Command column of the commands table. */
function commandsOf(body: string): string[] {
  return tableRows(body, 'Command').slice(1).map((row) => row[0]);
}

describe('status comment of a rollout in progress', () => {
  const body = render(progressingAtAnalysis());

  it('starts with the hidden marker that finds it again', () => {
    expect(statusMarker('api-v2-7f3a')).toBe('<!-- opsbox:status rollout=api-v2-7f3a -->');
    expect(body.split('\n')[0]).toBe(statusMarker('api-v2-7f3a'));
  });

  it('titles the service and the change, then phase, weight and step', () => {
    expect(body).toContain('## 🚦 Canary `api`: `v1.4.0` → `v1.5.0`');
    expect(body).toContain('**Progressing** · canary weight **10%** · step 2 of 6');
  });

  it('has a steps table with status, times and commit links', () => {
    const rows = tableRows(body, '#');
    expect(rows[0]).toEqual(['#', 'Step', 'Status', 'Started', 'Finished', 'Commit']);
    expect(rows[1]).toEqual(['1', '`setWeight 10%`', '✅ done', '+0s', '+35s', `[a1b2c3d]${commit(SHA_WEIGHT_10)}`]);
    expect(rows[2]).toEqual(['2', '`analysis error-rate`', '▶️ current · measuring', '+35s', '', '']);
    expect(rows[3][2]).toBe('⬜ pending');
    expect(rows[5][1]).toBe('`pause (until /promote)`');
  });

  it('shows each query in a promql block', () => {
    expect(promqlBlocks(body)).toEqual([ERROR_RATE_QUERY, LATENCY_QUERY]);
  });

  it('shows the conditions', () => {
    expect(body).toContain('- Success when `result[0] < 0.05`');
    expect(body).toContain('- Failure when `result[0] > 1`');
  });

  it('lists the measured values with their verdicts', () => {
    const section = body.slice(body.indexOf('#### Step 2 analysis'), body.indexOf('#### Background analysis'));
    const measurements = tableRows(section, '#');
    expect(measurements.slice(1)).toEqual([
      ['1', '+1m35s', '`0.01`', '✅ Successful', ''],
      ['2', '+2m35s', '`[0.012,0.02]`', '✅ Successful', ''],
    ]);
  });

  it('charts each numeric metric with valid xychart-beta blocks', () => {
    expect(mermaidCharts(body)).toEqual([
      { title: 'error-rate', labels: ['+1m35s', '+2m35s'], values: [0.01, 0.012] },
      { title: 'latency-p99', labels: ['+1m', '+2m'], values: [0.21, 0.34] },
    ]);
  });

  it('lists the commands that apply now', () => {
    expect(commandsOf(body)).toEqual(['`/pause`', '`/promote`', '`/promote --full`', '`/abort`', '`/status`']);
  });

  it('keeps the history in a details block', () => {
    const details = body.slice(body.indexOf('<details>'), body.indexOf('</details>'));
    expect(details).toContain('<summary>History (3 entries)</summary>');
    expect(tableRows(details, 'Time')[2]).toEqual(['2024-05-01 12:00:05 UTC', '+5s', 'OpsBox', 'committed weight 10% (a1b2c3d)']);
  });
});

describe('status comment of a succeeded rollout', () => {
  const body = render(succeeded());

  it('shows the phase and every step done', () => {
    expect(body).toContain('## ✅ Canary `api`');
    expect(body).toContain('**Succeeded** · canary weight **0%**');
    expect(tableRows(body, '#').slice(1, 7).map((row) => row[2])).toEqual(Array(6).fill('✅ done'));
  });

  it('links the weight and promotion commits', () => {
    expect(body).toContain(`- weight 10% (step 1): [a1b2c3d]${commit(SHA_WEIGHT_10)} at +5s`);
    expect(body).toContain(`- weight 50% (step 3): [b2c3d4e]${commit(SHA_WEIGHT_50)} at +4m20s`);
    expect(body).toContain(`- promotion: [c3d4e5f]${commit(SHA_PROMOTE)} at +12m50s`);
  });

  it('records who ran a command', () => {
    expect(body).toContain('| 2024-05-01 12:10:40 UTC | +10m40s | @alice | /promote: step 5 ended by hand |');
  });

  it('offers only /status and /help', () => {
    expect(commandsOf(body)).toEqual(['`/status`', '`/help`']);
  });
});

describe('status comment of an aborted rollout', () => {
  const body = render(abortedAfterFailingMetric());

  it('shows the phase, the failure and the evidence', () => {
    expect(body).toContain('## ❌ Canary `api`');
    expect(body).toContain('> [!CAUTION]');
    expect(body).toContain('> **Step 2 analysis failed** at +2m36s');
    expect(body).toContain('> - `error-rate` ❌ Failed, last value `0.2`, success when `result[0] < 0.05`');
  });

  it('links the rollback commit and the revert pull request', () => {
    expect(body).toContain(`in [d4e5f60]${commit(SHA_ROLLBACK)} at +2m40s`);
    expect(body).toContain('[#124](https://github.com/acme/manifests/pull/124)');
  });

  it('marks the failed step and skips the rest', () => {
    const statuses = tableRows(body, '#').slice(1, 7).map((row) => row[2]);
    expect(statuses).toEqual(['✅ done', '❌ failed · the rollout failed here', '⏭️ skipped', '⏭️ skipped', '⏭️ skipped', '⏭️ skipped']);
  });

  it('shows both measured values, their verdicts and the metric verdict', () => {
    expect(body).toContain('| 1 | +1m35s | `0.01` | ✅ Successful |  |');
    expect(body).toContain('| 2 | +2m35s | `0.2` | ❌ Failed |  |');
    expect(body).toContain('- Verdict: ❌ Failed, failed (1) > failureLimit (0)');
  });

  it('charts the failing values', () => {
    expect(mermaidCharts(body)[0]).toEqual({ title: 'error-rate', labels: ['+1m35s', '+2m35s'], values: [0.01, 0.2] });
  });

  it('offers /retry', () => {
    expect(commandsOf(body)).toEqual(['`/retry`', '`/status`']);
  });
});

describe('status comment of a rollout paused after an inconclusive analysis', () => {
  const body = render(pausedAfterInconclusive());

  it('says a person has to decide and why', () => {
    expect(body).toContain('## ⏸️ Canary `api`');
    expect(body).toContain('The analysis of step 2 was inconclusive, so the canary holds at 10%.');
    expect(body).toContain('#### Step 2 analysis (`error-rate`): ❔ Inconclusive');
  });

  it('shows both conditions, the value and the inconclusive verdict', () => {
    expect(body).toContain('- Success when `result[0] < 0.05`');
    expect(body).toContain('- Failure when `result[0] > 0.1`');
    expect(body).toContain('| 1 | +1m35s | `0.07` | ❔ Inconclusive |  |');
  });

  it('draws no chart from a single value', () => {
    expect(mermaidCharts(body)).toEqual([]);
  });

  it('offers /resume, /promote and /abort', () => {
    expect(commandsOf(body)).toEqual(['`/resume`', '`/promote`', '`/promote --full`', '`/abort`', '`/status`']);
  });
});

describe('status comment of a superseded rollout', () => {
  const body = render(superseded());

  it('names the rollout that took over and where this one stopped', () => {
    expect(body).toContain('## ⏭️ Canary `api`');
    expect(body).toContain('A newer bump took over (rollout api-v3-91bc) and moves the traffic from now on; this rollout stopped at 50%.');
    expect(tableRows(body, '#')[4][2]).toBe('⏹️ stopped · superseded by a newer bump');
  });
});

describe('status comment escaping', () => {
  it('keeps a table row intact when a message contains pipes, HTML and backticks', () => {
    const body = render(
      progressingAtAnalysis([
        errorRateMetric({
          successCondition: 'result[0] < 0.05 || `x`',
          measurements: [measurement('Error', undefined, 95, 'bad_data: parse error at char 5: unexpected "|" near <EOF> in `rate(`')],
        }),
      ]),
    );
    const section = body.slice(body.indexOf('#### Step 2 analysis'), body.indexOf('#### Background analysis'));
    const [header, row] = tableRows(section, '#');
    expect(header).toHaveLength(5);
    expect(row).toEqual(['1', '+1m35s', '–', '⚠️ Error', 'bad_data: parse error at char 5: unexpected "\\|" near \\<EOF> in \\`rate(\\`']);
    // padded on both sides because the condition ends with a backtick
    expect(body).toContain('- Success when `` result[0] < 0.05 || `x` ``');
  });

  it('uses a longer fence for a query that contains backticks', () => {
    const query = 'sum(rate(x[1m]))\n# a ``` comment';
    expect(promqlBlocks(render(progressingAtAnalysis([errorRateMetric({ query })])))[0]).toBe(query);
  });
});

describe('status comment size', () => {
  it('stays within GitHub’s limit with many long measurements, dropping detail first', () => {
    const many = Array.from({ length: 400 }, (_, i) => measurement('Error', undefined, 60 + i * 60, `connection refused ${'x'.repeat(300)}`));
    const metrics = Array.from({ length: 30 }, (_, i) => errorRateMetric({ name: `metric-${i}`, measurements: many }));
    const body = render(progressingAtAnalysis(metrics));
    expect(body.length).toBeLessThanOrEqual(BODY_LIMIT);
    expect(body.startsWith(statusMarker('api-v2-7f3a'))).toBe(true);
    // the compact form: three measurements per metric, no charts, no history
    const section = body.slice(body.indexOf('**`metric-0`**'), body.indexOf('**`metric-1`**'));
    expect(tableRows(section, '#').slice(1).map((row) => row[0])).toEqual(['398', '399', '400']);
    expect(body).not.toContain('```mermaid');
    expect(body).not.toContain('<details>');
    expect(body).toContain('### Commands');
  });

  it('cuts at a line and says so when even the compact form is too long', () => {
    const long = Array.from({ length: 3 }, (_, i) => measurement('Error', undefined, 60 + i * 60, 'y'.repeat(2000)));
    const metrics = Array.from({ length: 40 }, (_, i) => errorRateMetric({ name: `metric-${i}`, measurements: long }));
    const body = render(progressingAtAnalysis(metrics));
    expect(body.length).toBeLessThanOrEqual(BODY_LIMIT);
    expect(body.trimEnd().endsWith('_This report was cut to fit GitHub’s size limit._')).toBe(true);
    // the note is not swallowed by a code block left open by the cut
    const fences = body.split('\n').filter((line) => line.startsWith('```'));
    expect(fences.length % 2).toBe(0);
  });

  it('closes the code block a cut falls into, so the note stays visible', () => {
    const query = Array.from({ length: 4000 }, (_, i) => `sum(rate(http_requests_total{shard="${i}"}[1m])) +`).join('\n');
    const body = render(progressingAtAnalysis([errorRateMetric({ query })]));
    expect(body.length).toBeLessThanOrEqual(BODY_LIMIT);
    const lines = body.trimEnd().split('\n');
    expect(lines.at(-1)).toBe('_This report was cut to fit GitHub’s size limit._');
    expect(lines.at(-3)).toBe('```````');
  });

  it('shows the most recent measurements and says how many are left out', () => {
    const values = Array.from({ length: 14 }, (_, i) => measurement('Successful', String(i / 100), 60 + i * 60));
    const body = render(progressingAtAnalysis([errorRateMetric({ measurements: values })]), T0 + 3_600_000);
    const section = body.slice(body.indexOf('#### Step 2 analysis'), body.indexOf('#### Background analysis'));
    const rows = tableRows(section, '#').slice(1);
    expect(rows.map((row) => row[0])).toEqual(['5', '6', '7', '8', '9', '10', '11', '12', '13', '14']);
    expect(section).toContain('4 earlier measurements are not shown.');
    // the chart keeps every point
    expect(mermaidCharts(section)[0].values).toHaveLength(14);
  });
});
