/**
 * For tests that run the app as a process on a real clock: the fixture repository with short
 * durations, and the rollouts as the process stored them on disk.
 */
import { afterEach, beforeEach } from '@jest/globals';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { StoredRollout } from '../../src/state/store.js';
import { fixtureFiles, OWNER, REPO } from './app-harness.js';
import { AppProcess } from './app-process.js';
import { startCutProxy, type CutProxy } from './cut-proxy.js';
import { startFakeGitHub, type FakeGitHub } from './fake-github/index.js';
import { startFakePrometheus, type FakePrometheus } from './fake-prometheus.js';
import { freePort } from './free-port.js';

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

/** The fixture repository with durations short enough for a real clock: 1 s sync, two 1 s measurements. */
export async function fastFixture(prometheusUrl: string): Promise<Record<string, string>> {
  const files = await fixtureFiles();
  files['.github/opsbox.yml'] = replaceOnce(
    replaceOnce(files['.github/opsbox.yml'], 'http://127.0.0.1:9090', prometheusUrl),
    'delay: 30s',
    'delay: 1s',
  );
  files['analysis/error-rate.yaml'] = replaceOnce(replaceOnce(files['analysis/error-rate.yaml'], 'interval: 1m', 'interval: 1s'), 'count: 3', 'count: 2');
  return files;
}

export function replaceOnce(text: string, from: string, to: string): string {
  if (!text.includes(from)) throw new Error(`the fixture no longer contains "${from}"`);
  return text.replace(from, to);
}

/** Every rollout the app stored in `dataDir`, read from its files. */
export async function storedRollouts(dataDir: string): Promise<StoredRollout['state'][]> {
  const dir = path.join(dataDir, 'rollouts');
  const names = (await readdir(dir).catch(() => [] as string[])).filter((name) => name.endsWith('.json'));
  return Promise.all(names.map(async (name) => (JSON.parse(await readFile(path.join(dir, name), 'utf8')) as StoredRollout).state));
}
