/**
 * The whole app over real HTTP: Probot started like `npm start` (with GHE_HOST / GHE_PROTOCOL
 * pointing at the fake GitHub), signed webhook deliveries, a fake Prometheus, a data dir on disk,
 * and a clock the test moves forward.
 */
import { createHmac, randomUUID } from 'node:crypto';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ProbotOctokit, run, type Server } from 'probot';
import { createOpsboxApp, type AppOptions } from '../../src/index.js';
import type { Runtime } from '../../src/app/runtime.js';
import { startFakeGitHub, type FakeGitHub } from './fake-github/index.js';
import { startFakePrometheus, type FakePrometheus } from './fake-prometheus.js';
import { freePort } from './free-port.js';

export const OWNER = 'acme';
export const REPO = 'manifests';
export const FULL_NAME = `${OWNER}/${REPO}`;
const SECRET = 'e2e-webhook-secret';
const FIXTURE = fileURLToPath(new URL('../fixtures/repo/', import.meta.url));

export async function fixtureFiles(): Promise<Record<string, string>> {
  const files: Record<string, string> = {};
  const walk = async (dir: string, prefix: string) => {
    for (const entry of await readdir(dir, { withFileTypes: true })) {
      const relative = prefix ? `${prefix}/${entry.name}` : entry.name;
      if (entry.isDirectory()) await walk(path.join(dir, entry.name), relative);
      else files[relative] = await readFile(path.join(dir, entry.name), 'utf8');
    }
  };
  await walk(FIXTURE, '');
  return files;
}

export class AppHarness {
  now = Date.parse('2026-11-26T10:00:00Z');
  runtime!: Runtime;
  private server: Server | undefined;
  private port = 0;

  private constructor(
    readonly github: FakeGitHub,
    readonly prometheus: FakePrometheus,
    readonly dataDir: string,
    /** Added to the app's environment (KUBECONFIG, say). */
    private readonly extraEnv: Record<string, string> = {},
    /** Added to the app's options (observers, say). */
    private readonly appOptions: AppOptions = {},
    /** Prometheus addresses allowed besides the fake Prometheus. */
    private readonly alsoAllow: readonly string[] = [],
  ) {}

  static async start(options: { files?: Record<string, string>; env?: Record<string, string>; app?: AppOptions; alsoAllow?: string[] } = {}): Promise<AppHarness> {
    const github = await startFakeGitHub();
    const prometheus = await startFakePrometheus();
    const dataDir = await mkdtemp(path.join(tmpdir(), 'opsbox-e2e-'));
    const files = options.files ?? (await fixtureFiles());
    files['.github/opsbox.yml'] = files['.github/opsbox.yml'].replace('http://127.0.0.1:9090', prometheus.url);
    github.createRepo(OWNER, REPO, { files });
    const harness = new AppHarness(github, prometheus, dataDir, options.env, options.app, options.alsoAllow);
    await harness.startApp();
    return harness;
  }

  /** Starts (or restarts) the Probot server on the same data dir. */
  async startApp(): Promise<void> {
    let runtime: Runtime | undefined;
    const env = {
      APP_ID: String(this.github.app.id),
      PRIVATE_KEY: this.github.appPrivateKey(),
      WEBHOOK_SECRET: SECRET,
      GHE_HOST: this.github.host,
      GHE_PROTOCOL: 'http',
      HOST: '127.0.0.1',
      PORT: String(await freePort()),
      LOG_LEVEL: 'fatal',
      PROMETHEUS_URL: this.prometheus.url,
      OPSBOX_PROMETHEUS_ALLOWLIST: [this.prometheus.url, ...this.alsoAllow].join(','),
      OPSBOX_DATA_DIR: this.dataDir,
      ...this.extraEnv,
    };
    this.server = await run(
      createOpsboxApp({
        ...this.appOptions,
        env,
        dataDir: this.dataDir,
        clock: () => this.now,
        schedule: false,
        onRuntime: (r) => {
          runtime = r;
        },
      }),
      {
        env: env as NodeJS.ProcessEnv,
        Octokit: ProbotOctokit.defaults((options: Record<string, unknown>) => ({
          ...options,
          retry: { enabled: false },
          throttle: { enabled: false },
        })) as typeof ProbotOctokit,
      },
    );
    this.port = this.server.port;
    if (!runtime) throw new Error('the app did not create its runtime');
    this.runtime = runtime;
  }

  async stopApp(): Promise<void> {
    await this.runtime.stop();
    await this.server?.stop();
    this.server = undefined;
  }

  async close(): Promise<void> {
    if (this.server) await this.stopApp();
    await this.github.close();
    await this.prometheus.close();
    await rm(this.dataDir, { recursive: true, force: true });
  }

  /** Sends a signed webhook delivery to the app over HTTP; returns the HTTP status. */
  async deliver(event: string, payload: unknown, deliveryId: string = randomUUID()): Promise<number> {
    const status = await deliverWebhook({ port: this.port, secret: SECRET }, event, payload, deliveryId);
    await this.runtime.idle();
    return status;
  }

  /** Opens and merges a pull request changing `files`; delivers its `pull_request.closed` webhook. */
  async mergeBump(files: Record<string, string>, options: { title?: string; deliveryId?: string } = {}) {
    const branch = `bump-${randomUUID().slice(0, 8)}`;
    const opened = this.github.openPullRequest(FULL_NAME, { head: branch, files, title: options.title ?? 'Bump image' });
    const merged = this.github.mergePullRequest(FULL_NAME, opened.number);
    const status = await this.deliver('pull_request', merged.payload, options.deliveryId);
    return { number: opened.number as number, mergeSha: merged.mergeCommitSha, payload: merged.payload, status };
  }

  /** A person comments on a pull request; the `issue_comment.created` webhook is delivered. */
  async comment(number: number, body: string, options: { user?: string; deliveryId?: string } = {}) {
    const created = this.github.createComment(FULL_NAME, number, body, { user: options.user ?? 'alice' });
    const status = await this.deliver('issue_comment', created.payload, options.deliveryId);
    return { id: created.id, payload: created.payload, status };
  }

  /** Moves the clock forward `rounds` times and lets due rollouts act each time. */
  async advance(ms: number, rounds = 1): Promise<void> {
    for (let i = 0; i < rounds; i++) {
      this.now += ms;
      await this.runtime.engine.tick();
      await this.runtime.idle();
    }
  }

  /** Advances by `stepMs` until `done` holds; throws after `maxRounds`. */
  async advanceUntil(done: () => boolean | Promise<boolean>, stepMs = 30_000, maxRounds = 40): Promise<void> {
    for (let i = 0; i < maxRounds; i++) {
      if (await done()) return;
      await this.advance(stepMs);
    }
    if (!(await done())) throw new Error(`condition not reached after ${maxRounds} rounds of ${stepMs} ms`);
  }

  file(pathName: string, ref = 'main'): string {
    const text = this.github.readFile(FULL_NAME, ref, pathName);
    if (text === null) throw new Error(`${pathName} not found at ${ref}`);
    return text;
  }

  /** Commits on main made by the app (verified, with its trailers), oldest first. */
  appCommits() {
    return appCommitsOf(this.github);
  }

  async rollouts() {
    return this.runtime.store.list();
  }
}

/**
 * The fixture repository with the api service stepping `20% → analysis → 60% → analysis → promote`
 * instead of 10% and 50%: the rollout the request budget is stated for.
 */
export async function fixtureFilesWithApiWeights(first: number, second: number): Promise<Record<string, string>> {
  const files = await fixtureFiles();
  const config = files['.github/opsbox.yml'];
  const changed = config.replace('      - setWeight: 10\n', `      - setWeight: ${first}\n`).replace('      - setWeight: 50\n', `      - setWeight: ${second}\n`);
  if (changed === config) throw new Error('the fixture config no longer has the api weights 10 and 50');
  files['.github/opsbox.yml'] = changed;
  return files;
}

/** The canary Deployment with another image tag: the bump a person or Renovate would merge. */
export function bumpApi(harnessFiles: string, to: string): string {
  return harnessFiles.replace(/ghcr\.io\/acme\/api:[^\s#]+/, `ghcr.io/acme/api:${to}`);
}

/** The weight lines of a VirtualService: [stable, canary]. */
export function weights(text: string): number[] {
  return [...text.matchAll(/weight: (\d+)/g)].map((m) => Number(m[1]));
}

/** Commits on main made by the app (verified, with its trailers), oldest first. */
export function appCommitsOf(github: FakeGitHub) {
  return github
    .log(FULL_NAME, 'main')
    .filter((entry) => entry.verified && entry.message.includes('\nOpsBox-Rollout: '))
    .reverse();
}

/** Sends a webhook delivery signed with `secret` to the app on 127.0.0.1:`port`; returns the HTTP status. */
export async function deliverWebhook(
  app: { port: number; secret: string },
  event: string,
  payload: unknown,
  deliveryId: string = randomUUID(),
): Promise<number> {
  const body = JSON.stringify(payload);
  const response = await fetch(`http://127.0.0.1:${app.port}/api/github/webhooks`, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      'x-github-event': event,
      'x-github-delivery': deliveryId,
      'x-hub-signature-256': `sha256=${createHmac('sha256', app.secret).update(body).digest('hex')}`,
    },
    body,
  });
  await response.text();
  return response.status;
}
