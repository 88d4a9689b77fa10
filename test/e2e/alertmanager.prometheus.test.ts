/**
 * A failing rollout's alert in a real Alertmanager (Debian package `prometheus-alertmanager`):
 * listed by GET /api/v2/alerts with its labels while the rollout is rolled back, resolved once the
 * revert pull request is merged. CI must have the program.
 */
import { afterAll, beforeAll, expect, it } from '@jest/globals';
import { setTimeout as delay } from 'node:timers/promises';
import { AppHarness, FULL_NAME, bumpApi, fixtureFiles } from '../support/app-harness.js';
import { ALERTMANAGER_BIN, alertmanagerAvailable, startAlertmanager, type RunningAlertmanager } from '../support/alertmanager.js';
import { describeWithTool } from '../support/required-tool.js';

const CANARY = 'apps/api/canary.yaml';

interface GettableAlert {
  labels: Record<string, string>;
  annotations: Record<string, string>;
  status: { state: string };
  endsAt: string;
}

describeWithTool(
  'alerts in a real Alertmanager',
  { available: alertmanagerAvailable(), missing: `${ALERTMANAGER_BIN} is missing: apt-get install prometheus-alertmanager, or set ALERTMANAGER_BIN` },
  () => {
    let alertmanager: RunningAlertmanager | undefined;
    let h: AppHarness | undefined;

    beforeAll(async () => {
      alertmanager = await startAlertmanager();
      const files = await fixtureFiles();
      files['.github/opsbox.yml'] += '\nnotifications:\n  alertmanager:\n    labels: {team: payments}\n';
      h = await AppHarness.start({ files, env: { OPSBOX_ALERTMANAGER_URL: alertmanager.url }, app: { alertCheckEveryMs: 0 } });
    }, 60_000);

    afterAll(async () => {
      await h?.close();
      await alertmanager?.stop();
    });

    /** The alerts Alertmanager lists for the service, active and resolved alike being asked for. */
    async function listed(): Promise<GettableAlert[]> {
      const response = await fetch(`${alertmanager!.url}/api/v2/alerts?filter=${encodeURIComponent('alertname="OpsBoxCanaryFailed"')}`, { signal: AbortSignal.timeout(5000) });
      expect(response.status).toBe(200);
      return (await response.json()) as GettableAlert[];
    }

    /** Alertmanager applies a post within moments; ask a bounded number of times. */
    async function eventually(check: (alerts: GettableAlert[]) => boolean): Promise<GettableAlert[]> {
      let alerts: GettableAlert[] = [];
      for (let attempt = 0; attempt < 50; attempt++) {
        alerts = await listed();
        if (check(alerts)) return alerts;
        await delay(100);
      }
      return alerts;
    }

    it('lists the failing rollout\'s alert with its labels, and resolves it when the revert pull request is merged', async () => {
      const app = h!;
      app.prometheus.answer([0.01]);
      await app.mergeBump({ [CANARY]: bumpApi(app.file(CANARY), 'v2') }, { title: 'Bump api to v2' });
      app.prometheus.answer([0.2]);
      await app.advanceUntil(async () => (await app.rollouts())[0].phase === 'Aborted', 30_000);

      const firing = await eventually((alerts) => alerts.some((a) => a.annotations.revert_pull_request));
      expect(firing).toHaveLength(1);
      expect(firing[0].labels).toEqual({
        alertname: 'OpsBoxCanaryFailed',
        repository: FULL_NAME,
        service: 'api',
        to: 'v2',
        from: 'v1',
        severity: 'critical',
        team: 'payments',
      });
      expect(firing[0].status.state).toBe('active');
      expect(firing[0].annotations).toMatchObject({ metric: 'error-rate', value: '[0.2]' });

      const [rollout] = await app.rollouts();
      const revert = app.github.mergePullRequest(FULL_NAME, rollout.revert!.thread!.number);
      await app.deliver('pull_request', revert.payload);
      // A resolved alert leaves the list of active ones.
      const after = await eventually((alerts) => alerts.every((a) => a.status.state !== 'active'));
      expect(after.filter((a) => a.status.state === 'active')).toEqual([]);
    });
  },
);
