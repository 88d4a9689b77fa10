/**
 * `opsbox demo`: a whole canary, offline, in well under a minute. It makes a temporary bare git
 * repository with the example manifests (templates/demo), starts the simulated service's
 * Prometheus endpoint on loopback, pushes an image bump as Renovate would, and runs the very
 * engine of `opsbox watch` on it with live progress. At the end it shows the commits the canary
 * made, the revert branch when the canary failed, and where everything is.
 *
 * The outcome: `ran` when the demo worked as designed, whatever the canary's verdict (a failed
 * canary rolled back is the demo working); otherwise it says what broke.
 */
import { existsSync } from 'node:fs';
import { cp, mkdir, mkdtemp, readFile, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseConfigOrThrow } from '../config/load.js';
import { GitWatch } from '../app/git-watch.js';
import { ProgressView } from '../app/terminal-progress.js';
import { runGit } from '../forge/git/git-cli.js';
import { readImageVersion, setImageVersion } from '../manifests/image-tag.js';
import type { RolloutState } from '../rollout/types.js';
import { createTrafficProvider } from '../traffic/index.js';
import { startSimulatedService } from './simulated-service.js';

/** The package's `templates/demo/`: two levels above src/demo, three above a compiled dist/src/demo. */
export const DEMO_TEMPLATE_DIR = fileURLToPath(
  [new URL('../../templates/demo/', import.meta.url), new URL('../../../templates/demo/', import.meta.url)].find((dir) =>
    existsSync(new URL('.github/opsbox.yml', dir)),
  ) ?? new URL('../../templates/demo/', import.meta.url),
);
const SERVICE = 'shop';
const NEW_VERSION = '1.5.0';
/** The demo gives up after this long (it takes about 15 s). */
const DEADLINE_MS = 55_000;

export interface DemoOptions {
  failing: boolean;
  /** Plain lines instead of a live view. */
  plain: boolean;
  out: { write(text: string): unknown };
  env: Readonly<Record<string, string | undefined>>;
  /** Where the temporary folder is made (default: the system's). */
  tmpDir?: string;
  /** How often due rollouts are advanced (ms). */
  tickMs?: number;
}

export interface DemoResult {
  ran: boolean;
  /** What broke, when the demo did not run as designed. */
  problem?: string;
  root: string;
  remote: string;
  rollout?: RolloutState;
  /** `git log --oneline` of the demo's branch, newest first. */
  log: string[];
  revertBranch?: string;
}

const DEMO_PERSON = ['-c', 'user.name=Dana Demo', '-c', 'user.email=dana@example.test', '-c', 'commit.gpgsign=false'];
const RENOVATE = ['-c', 'user.name=renovate[bot]', '-c', 'user.email=bot@renovateapp.com', '-c', 'commit.gpgsign=false'];

export async function runDemo(options: DemoOptions): Promise<DemoResult> {
  const out = options.out;
  const root = await mkdtemp(path.join(options.tmpDir ?? os.tmpdir(), 'opsbox-demo-'));
  const remote = path.join(root, 'manifests.git');
  const work = path.join(root, 'work');
  const dataDir = path.join(root, 'data');
  const git = async (args: string[], cwd = work) => (await runGit(args, { cwd, timeoutMs: 20_000 })).stdout;
  const config = parseConfigOrThrow(await readTemplate('.github/opsbox.yml'));
  const service = config.services[SERVICE];

  out.write(`OpsBox Canary demo${options.failing ? ' (--fail: the new version is bad)' : ''}\n`);
  out.write(`  a manifests repository at ${remote}\n`);
  await mkdir(remote, { recursive: true });
  await git(['init', '--quiet', '--bare', '--initial-branch=main'], remote);
  await git(['clone', '--quiet', remote, work], root);
  await cp(DEMO_TEMPLATE_DIR, work, { recursive: true });
  await git([...DEMO_PERSON, 'checkout', '--quiet', '-b', 'main']);
  await git(['add', '-A']);
  await git([...DEMO_PERSON, 'commit', '--quiet', '-m', 'Add the shop service: stable, canary, VirtualService, error-rate analysis']);
  await git(['push', '--quiet', 'origin', 'main']);

  // Istio would send the canary its share as the committed VirtualService says.
  const traffic = createTrafficProvider(service);
  const canaryWeight = async () => {
    const files = new Map<string, string>();
    for (const file of traffic.files) files.set(file, await git(['show', `main:${file}`], remote));
    return traffic.readWeight(files);
  };
  const prometheus = await startSimulatedService({ failing: options.failing, canaryWeight });
  out.write(`  the shop service's metrics at ${prometheus.url} (simulated: ${options.failing ? 'the canary fails ~20% of requests once it takes traffic' : 'about 0.5% errors'})\n\n`);

  const tty = !options.plain && (out as { isTTY?: boolean }).isTTY === true;
  const progress = new ProgressView({ out, tty });
  const logFile = path.join(dataDir, 'watch.log.jsonl');
  await mkdir(dataDir, { recursive: true });
  const logLines: string[] = [];
  let watch: GitWatch | undefined;
  try {
    watch = await GitWatch.open({
      dataDir,
      remote,
      branch: 'main',
      intervalMs: 500,
      env: { ...options.env, PROMETHEUS_URL: prometheus.url, OPSBOX_PROMETHEUS_ALLOWLIST: prometheus.url },
      log: (line) => logLines.push(JSON.stringify({ time: new Date().toISOString(), ...line })),
      observer: progress,
      notice: (text) => out.write(`${text}\n`),
      coalesceMs: 0,
      purpose: 'opsbox demo',
    });
    await watch.poll(); // the watch starts at the current head

    // The bump, as Renovate would push it: only the canary's image tag changes.
    const canaryFile = path.join(work, service.canary.file);
    const before = await readFile(canaryFile, 'utf8');
    const from = readImageVersion(before, service.canary, service.image);
    await writeFile(canaryFile, setImageVersion(before, service.canary, service.image, NEW_VERSION));
    await git(['add', '-A']);
    await git([...RENOVATE, 'commit', '--quiet', '-m', `chore(deps): update ${service.image} to ${NEW_VERSION}`, '-m', `Bumps the canary of ${SERVICE} from ${from} to ${NEW_VERSION}.`]);
    await git(['push', '--quiet', 'origin', 'main']);
    out.write(`renovate[bot] pushed: chore(deps): update ${service.image} to ${NEW_VERSION}\n\n`);

    const started = await watch.poll();
    if (started.length !== 1) return await finish({ ran: false, problem: `the bump started ${started.length} rollouts instead of 1; see ${logFile}` });
    const controller = new AbortController();
    const deadline = setTimeout(() => controller.abort(), DEADLINE_MS);
    const ticker = tty ? setInterval(() => progress.refresh(), 100) : undefined;
    try {
      await watch.run({ signal: controller.signal, tickMs: options.tickMs ?? 200, until: () => watch!.settled() });
    } finally {
      clearTimeout(deadline);
      if (ticker) clearInterval(ticker);
      progress.close();
    }
    const rollout = (await watch.store.get(started[0]))?.state;
    if (!rollout || !['Succeeded', 'Aborted'].includes(rollout.phase) || rollout.outbox.length > 0) {
      return await finish({ ran: false, rollout, problem: `the canary did not finish within ${DEADLINE_MS / 1000} s (it stands ${rollout?.phase ?? 'nowhere'}); see ${logFile}` });
    }
    const expected = options.failing ? 'Aborted' : 'Succeeded';
    if (rollout.phase !== expected) return await finish({ ran: false, rollout, problem: `the canary ended ${rollout.phase}, but the simulated service should have made it ${expected}` });
    return await finish({ ran: true, rollout, revertBranch: rollout.revert?.branch });
  } catch (error) {
    return await finish({ ran: false, problem: (error as Error).message });
  } finally {
    await watch?.close();
    await prometheus.close();
    await writeFile(logFile, logLines.length ? `${logLines.join('\n')}\n` : '');
  }

  async function finish(result: Omit<DemoResult, 'root' | 'remote' | 'log'>): Promise<DemoResult> {
    const log = (await git(['log', '--oneline', 'main'], remote).catch(() => '')).split('\n').filter(Boolean);
    out.write(`\nWhat the canary did (git log --oneline main):\n${log.map((line) => `  ${line}`).join('\n')}\n`);
    if (result.revertBranch) {
      const revert = (await git(['log', '--oneline', '-1', result.revertBranch], remote).catch(() => '')).trim();
      out.write(`\nThe revert, for a person to review and merge (branch ${result.revertBranch}):\n  ${revert}\n`);
    }
    if (result.problem) out.write(`\nThe demo itself broke: ${result.problem}\n`);
    out.write(
      `\nThe repository is ${remote} (a working copy in ${work}; state and JSON logs in ${dataDir}).\n` +
        `Look around: git -C ${remote} log --stat main${result.revertBranch ? ` ${result.revertBranch}` : ''}\n\n` +
        'The real thing:\n' +
        '  on any git remote:  OPSBOX_DATA_DIR=./.data PROMETHEUS_URL=http://prometheus:9090 npx opsbox watch --repo <url or path> --branch main\n' +
        '  steer it:           npx opsbox status|promote|pause|resume|abort|retry --repo <url or path> --service <name>\n' +
        '  on GitHub:          register the GitHub App (npm start, then follow the setup page); see README.md\n',
    );
    return { ...result, root, remote, log };
  }
}

async function readTemplate(file: string): Promise<string> {
  return readFile(path.join(DEMO_TEMPLATE_DIR, file), 'utf8');
}
