/**
 * The fake GitHub and fake Prometheus in a process of their own, so the work they do for the app
 * under test runs neither on the app's event loop nor on the load generator's.
 */
import { FULL_NAME, OWNER, REPO, bumpApi, fixtureFiles } from '../../test/support/app-harness.js';
import { startFakeGitHub, type FakeGitHub } from '../../test/support/fake-github/index.js';
import { startFakePrometheus, type FakePrometheus } from '../../test/support/fake-prometheus.js';
import { serve } from './child.js';
import { endpointOf } from './endpoints.js';

const CANARY = 'apps/api/canary.yaml';

export interface FakesInfo {
  appId: number;
  host: string;
  privateKey: string;
  prometheusUrl: string;
}

/** A delivery as GitHub would send it: event name and JSON body. */
export interface Delivery {
  event: string;
  body: string;
}

let github: FakeGitHub | undefined;
let prometheus: FakePrometheus | undefined;
let bumps = 0;

function started(): FakeGitHub {
  if (!github) throw new Error('the fakes are not started');
  return github;
}

serve({
  async start(): Promise<FakesInfo> {
    github = await startFakeGitHub();
    prometheus = await startFakePrometheus();
    prometheus.answer([0.01]);
    const files = await fixtureFiles();
    files['.github/opsbox.yml'] = files['.github/opsbox.yml'].replace('http://127.0.0.1:9090', prometheus.url);
    github.createRepo(OWNER, REPO, { files });
    return { appId: github.app.id, host: github.host, privateKey: github.appPrivateKey(), prometheusUrl: prometheus.url };
  },

  /**
   * `count` merged pull requests, each bumping the api canary to a new version (so each delivery
   * starts real work), and a `/status` comment on each: their `pull_request.closed` and
   * `issue_comment.created` deliveries, alternating.
   */
  prepare(args: { count: number }): Delivery[] {
    const gh = started();
    const deliveries: Delivery[] = [];
    for (let i = 0; i < args.count; i++) {
      bumps += 1;
      const version = `v2.${bumps}`;
      const current = gh.readFile(FULL_NAME, 'main', CANARY)!;
      const opened = gh.openPullRequest(FULL_NAME, { head: `bump-api-${bumps}`, files: { [CANARY]: bumpApi(current, version) }, title: `Bump api to ${version}` });
      const merged = gh.mergePullRequest(FULL_NAME, opened.number);
      const comment = gh.createComment(FULL_NAME, opened.number, '/status');
      deliveries.push({ event: 'pull_request', body: JSON.stringify(merged.payload) });
      deliveries.push({ event: 'issue_comment', body: JSON.stringify(comment.payload) });
    }
    return deliveries;
  },

  /** What the fake GitHub has answered so far. */
  stats() {
    const gh = started();
    const byEndpoint: Record<string, number> = {};
    for (const r of gh.requests) {
      const endpoint = endpointOf(r.method, r.path);
      byEndpoint[endpoint] = (byEndpoint[endpoint] ?? 0) + 1;
    }
    return { requests: gh.requests.length, errors: gh.errors.length, byEndpoint };
  },

  /** Drops the request log, which grows with every request the app makes. */
  resetRequests() {
    started().resetRequests();
  },
});

