/**
 * Jest hooks for tests of the app as a process (kept apart from process-fixture.ts, which
 * benchmarks import outside Jest).
 */
import { afterEach, beforeEach } from '@jest/globals';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { OWNER, REPO } from './app-harness.js';
import { AppProcess } from './app-process.js';
import { startCutProxy, type CutProxy } from './cut-proxy.js';
import { startFakeGitHub, type FakeGitHub } from './fake-github/index.js';
import { startFakePrometheus, type FakePrometheus } from './fake-prometheus.js';
import { freePort } from './free-port.js';
import { fastFixture } from './process-fixture.js';

/** What a test of the app as a process works with; fresh for every test. */
export interface ProcessFixture {
  readonly github: FakeGitHub;
  readonly prometheus: FakePrometheus;
  /** In front of the fake GitHub: the app talks to GitHub through it, so a test can cut requests. */
  readonly proxy: CutProxy;
  readonly dataDir: string;
  /** Spawns the app on a free port against the proxy, Prometheus and data dir (killed after the test). */
  startApp(env?: Record<string, string>): Promise<AppProcess>;
}

/**
 * Registers the hooks that give each test a fake GitHub holding the fast fixture repository, a fake
 * Prometheus, a cutting proxy and a temp data dir, and that kill every app process and remove all
 * of it after the test.
 */
export function useProcessFixture(options: { webhookSecret: string; dataDirPrefix: string }): ProcessFixture {
  let current: Omit<ProcessFixture, 'startApp'> | undefined;
  const started: AppProcess[] = [];
  const get = (): Omit<ProcessFixture, 'startApp'> => {
    if (!current) throw new Error('the process fixture is only there inside a test');
    return current;
  };

  beforeEach(async () => {
    const github = await startFakeGitHub();
    const prometheus = await startFakePrometheus();
    const proxy = await startCutProxy(github.url);
    const dataDir = await mkdtemp(path.join(tmpdir(), options.dataDirPrefix));
    github.createRepo(OWNER, REPO, { files: await fastFixture(prometheus.url) });
    current = { github, prometheus, proxy, dataDir };
  });

  afterEach(async () => {
    await Promise.all(started.splice(0).map((child) => child.kill()));
    if (!current) return;
    const { github, prometheus, proxy, dataDir } = current;
    current = undefined;
    await proxy.close();
    await github.close();
    await prometheus.close();
    await rm(dataDir, { recursive: true, force: true });
  });

  return {
    get github() {
      return get().github;
    },
    get prometheus() {
      return get().prometheus;
    },
    get proxy() {
      return get().proxy;
    },
    get dataDir() {
      return get().dataDir;
    },
    async startApp(env = {}) {
      const { github, prometheus, proxy, dataDir } = get();
      const app = AppProcess.spawn(
        {
          APP_ID: String(github.app.id),
          PRIVATE_KEY: github.appPrivateKey(),
          WEBHOOK_SECRET: options.webhookSecret,
          GHE_HOST: proxy.host,
          GHE_PROTOCOL: 'http',
          PROMETHEUS_URL: prometheus.url,
          OPSBOX_PROMETHEUS_ALLOWLIST: prometheus.url,
          OPSBOX_DATA_DIR: dataDir,
          LOG_LEVEL: 'info',
          ...env,
        },
        await freePort(),
      );
      started.push(app);
      return app;
    },
  };
}

