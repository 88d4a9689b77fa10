/**
 * The metrics fed from the engine, with the whole app in process (fake clock): each way a rollout
 * ends counts once under its result, and the gauges follow the newest rollout of a service.
 */
import { afterEach, describe, expect, it } from '@jest/globals';
import { OpsboxMetrics } from '../../src/metrics/metrics.js';
import { rolloutMetrics } from '../../src/metrics/rollout-metrics.js';
import { AppHarness, bumpApi, FULL_NAME } from '../support/app-harness.js';

const CANARY = 'apps/api/canary.yaml';
const SERVICE = 'repository="acme/manifests",service="api"';

describe('rollout metrics', () => {
  let harness: AppHarness | undefined;

  afterEach(async () => {
    await harness?.close();
    harness = undefined;
  });

  async function start() {
    const metrics = new OpsboxMetrics(() => harness?.runtime?.store.states() ?? [], { processMetrics: false });
    const deliveries: string[] = [];
    harness = await AppHarness.start({
      app: {
        observer: rolloutMetrics(metrics),
        onDelivery: (event, outcome) => {
          deliveries.push(`${event}:${outcome}`);
          metrics.webhookDeliveries.inc({ event, outcome });
        },
      },
    });
    harness.github.setPermission(FULL_NAME, 'alice', 'write');
    return { h: harness, metrics, deliveries };
  }

  async function value(metrics: OpsboxMetrics, name: string, labels: string): Promise<number | undefined> {
    const text = (await metrics.exposition()).body;
    const line = text.split('\n').find((l) => l.startsWith(`${name}{${labels}} `));
    return line === undefined ? undefined : Number(line.split(' ').at(-1));
  }

  async function bump(h: AppHarness, to: string) {
    return h.mergeBump({ [CANARY]: bumpApi(h.file(CANARY), to) }, { title: `Bump api to ${to}` });
  }

  it('a failing analysis counts as rolled_back, with the canary failed and back at weight 0', async () => {
    const { h, metrics } = await start();
    h.prometheus.answer([0.01]);
    await bump(h, 'v2');
    expect(await value(metrics, 'opsbox_canary_status', SERVICE)).toBe(0);
    expect(await value(metrics, 'opsbox_canary_weight', SERVICE)).toBe(10);
    expect(await value(metrics, 'opsbox_rollouts', 'phase="Progressing"')).toBe(1);

    h.prometheus.answer([0.2]);
    await h.advanceUntil(async () => (await h.rollouts())[0].phase === 'Aborted', 30_000);
    expect(await value(metrics, 'opsbox_rollouts_finished_total', `${SERVICE},result="rolled_back"`)).toBe(1);
    expect(await value(metrics, 'opsbox_rollout_duration_seconds_count', 'result="rolled_back"')).toBe(1);
    expect(await value(metrics, 'opsbox_canary_status', SERVICE)).toBe(2);
    expect(await value(metrics, 'opsbox_canary_weight', SERVICE)).toBe(0);
    expect(await value(metrics, 'opsbox_rollouts', 'phase="Aborted"')).toBe(1);
    expect(await value(metrics, 'opsbox_analysis_measurements_total', 'template="error-rate",metric="error-rate",phase="Failed"')).toBeGreaterThanOrEqual(1);
  });

  it('/abort counts as aborted; a newer bump supersedes the running rollout and the gauges follow the newer one', async () => {
    const { h, metrics, deliveries } = await start();
    h.prometheus.answer([0.01]);
    const first = await bump(h, 'v2');
    await h.comment(first.number, '/abort');
    await h.advanceUntil(async () => (await h.rollouts()).every((r) => r.phase === 'Aborted'), 30_000);
    expect(await value(metrics, 'opsbox_rollouts_finished_total', `${SERVICE},result="aborted"`)).toBe(1);
    expect(await value(metrics, 'opsbox_rollouts_finished_total', `${SERVICE},result="rolled_back"`)).toBeUndefined();
    expect(deliveries).toEqual(['pull_request:claimed', 'issue_comment:claimed']);

    // each bump a second after the one before (the harness clock moves only when told)
    for (const to of ['v3', 'v4']) {
      h.now += 1000;
      await bump(h, to);
    }
    await h.advanceUntil(async () => (await h.rollouts()).some((r) => r.phase === 'Superseded'), 30_000);
    expect(await value(metrics, 'opsbox_rollouts_finished_total', `${SERVICE},result="superseded"`)).toBe(1);
    // the newest rollout (v4) is the one the per-service gauges show: running at 10%
    expect(await value(metrics, 'opsbox_canary_status', SERVICE)).toBe(0);
    expect(await value(metrics, 'opsbox_canary_weight', SERVICE)).toBe(10);
  });
});
