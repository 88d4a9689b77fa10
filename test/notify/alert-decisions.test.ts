import { describe, expect, it } from '@jest/globals';
import { alertDecisions } from '../../src/notify/alert-decisions.js';
import { alertmanagerAuthorization, alertmanagerUrlFor } from '../../src/notify/alertmanager.js';
import type { RolloutEvent, RolloutState } from '../../src/rollout/types.js';

const base = { id: 'r1', phase: 'Progressing', service: 'api', repo: { owner: 'acme', repo: 'manifests' } } as unknown as RolloutState;
const state = (over: Partial<RolloutState>) => ({ ...base, ...over }) as RolloutState;
const tick: RolloutEvent = { type: 'tick' };
const abort: RolloutEvent = { type: 'command', command: { name: 'abort' }, actor: 'alice' } as RolloutEvent;

describe('when an alert fires and resolves', () => {
  it('fires critical when an analysis fails, warning when someone aborts', () => {
    expect(alertDecisions(base, tick, state({ phase: 'Aborting' }))).toEqual([{ kind: 'fire', severity: 'critical' }]);
    expect(alertDecisions(base, abort, state({ phase: 'Aborting' }))).toEqual([{ kind: 'fire', severity: 'warning' }]);
    expect(alertDecisions(base, tick, state({ phase: 'Paused', pauseReason: 'failure' }))).toEqual([{ kind: 'fire', severity: 'critical' }]);
    expect(alertDecisions(base, tick, state({ phase: 'Paused', pauseReason: 'step' }))).toEqual([]);
  });

  it('fires again only when what it shows changes', () => {
    const aborting = state({ phase: 'Aborting' });
    expect(alertDecisions(aborting, tick, aborting)).toEqual([]);
    expect(alertDecisions(aborting, tick, state({ phase: 'Aborted', revert: { branch: 'opsbox/revert/api-v2', url: 'u', label: '#7', thread: { number: 7 } } }))).toHaveLength(1);
  });

  it('resolves when the rollout leaves the failed state, and a promotion resolves the service\'s other alerts', () => {
    expect(alertDecisions(state({ phase: 'Aborted' }), tick, state({ phase: 'Progressing' }))).toEqual([{ kind: 'resolve' }]);
    expect(alertDecisions(state({ phase: 'Promoting' }), tick, state({ phase: 'Succeeded' }))).toEqual([{ kind: 'resolveService' }]);
  });
});

describe('where alerts go', () => {
  const withUrl = { notifications: { alertmanager: { url: 'https://am.team.example/', labels: {} } } };

  it('uses the config\'s URL only where the operator allows it, else OPSBOX_ALERTMANAGER_URL', () => {
    expect(alertmanagerUrlFor(withUrl, { OPSBOX_ALERTMANAGER_ALLOWLIST: 'https://am.team.example' })).toEqual({ url: 'https://am.team.example/' });
    expect(alertmanagerUrlFor(withUrl, { OPSBOX_ALERTMANAGER_URL: 'http://am.ops:9093' })).toEqual({
      url: 'http://am.ops:9093',
      warning: 'notifications.alertmanager.url https://am.team.example is not allowed by OPSBOX_ALERTMANAGER_ALLOWLIST; alerts go to OPSBOX_ALERTMANAGER_URL',
    });
    expect(alertmanagerUrlFor({}, {})).toEqual({ why: 'OPSBOX_ALERTMANAGER_URL is not set' });
  });

  it('authenticates with a bearer token or basic credentials', () => {
    expect(alertmanagerAuthorization({ OPSBOX_ALERTMANAGER_BEARER_TOKEN: 't0k' })).toBe('Bearer t0k');
    expect(alertmanagerAuthorization({ OPSBOX_ALERTMANAGER_BASIC_AUTH: 'am:pw' })).toBe(`Basic ${Buffer.from('am:pw').toString('base64')}`);
    expect(alertmanagerAuthorization({})).toBeUndefined();
  });
});
