/**
 * `opsbox watch --repo <path or URL> [--branch main] [--interval 10s]`: canaries on a plain git
 * remote; and `opsbox promote|pause|resume|abort|retry|status --repo … --service …`, the ChatOps
 * commands for its rollouts, applied through the same state machine and store. While a watch holds
 * the data dir a command goes through its inbox and the watch applies it; otherwise the command
 * takes the data dir itself, applies it (and the commits it decides, e.g. an abort's rollback), and
 * lets go.
 */
import path from 'node:path';
import { parseArgs } from 'node:util';
import { DataDirBusyError, GitWatch } from '../app/git-watch.js';
import { parseDuration } from '../util/duration.js';
import { EXIT_INVALID, EXIT_OK, EXIT_USAGE, type CliIO } from './io.js';
import { ProgressView } from '../app/terminal-progress.js';
import { normalizeRemote } from '../forge/git/repository.js';
import { lockHolder } from '../app/data-dir-lock.js';
import { CommandInbox, newRequest, type CliCommandName } from '../app/command-inbox.js';
import os from 'node:os';

const USAGE = `Usage: opsbox watch --repo <path or URL> [--branch main] [--interval 10s] [--plain]

Watches a branch of any git remote with the git CLI and git's own credentials (SSH agent,
credential helpers; it never prompts). A first-parent commit that changes a service's canary tag
is a bump: the rollout's weight commits are pushed to the branch (a refused push is fetched,
rebuilt and pushed again), analyses query PROMETHEUS_URL, promotion and rollback work as on
GitHub, and a failed canary's revert is pushed as branch opsbox/revert/<service>-<version>.

Progress goes to standard output, one JSON log line per event to standard error. State lives in
OPSBOX_DATA_DIR (default ./.data): stop it at any time, start it again, nothing is done twice.
Commits made before the first start are history: only later bumps start rollouts.

Steer rollouts from another shell: opsbox status|promote|pause|resume|abort|retry --repo … --service …

  --repo       the remote: a URL (https://, ssh://, git@host:path) or a local path
  --branch     the branch the manifests are deployed from (default main)
  --interval   how often the remote is fetched (default 10s)
  --plain      plain lines, no live bar (the default when the output is not a terminal)
`;

export async function watchCommand(argv: string[], io: CliIO & { signal?: AbortSignal }): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      options: {
        repo: { type: 'string' },
        branch: { type: 'string', default: 'main' },
        interval: { type: 'string', default: '10s' },
        plain: { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
    });
  } catch (error) {
    io.stderr.write(`opsbox watch: ${(error as Error).message}\n\n${USAGE}`);
    return EXIT_USAGE;
  }
  const { values } = parsed;
  if (values.help) {
    io.stdout.write(USAGE);
    return EXIT_OK;
  }
  if (!values.repo) {
    io.stderr.write(`opsbox watch: --repo is required\n\n${USAGE}`);
    return EXIT_USAGE;
  }
  let intervalMs: number;
  try {
    intervalMs = parseDuration(values.interval);
    if (intervalMs < 1000) throw new Error('at least 1s');
  } catch (error) {
    io.stderr.write(`opsbox watch: --interval ${values.interval}: ${(error as Error).message}; write e.g. 10s or 1m\n`);
    return EXIT_USAGE;
  }
  const dataDir = path.resolve(io.env.OPSBOX_DATA_DIR || '.data');
  const tty = !values.plain && (io.stdout as { isTTY?: boolean }).isTTY === true;
  const progress = new ProgressView({ out: io.stdout, tty });
  let watch: GitWatch;
  try {
    watch = await GitWatch.open({
      dataDir,
      remote: values.repo,
      branch: values.branch,
      intervalMs,
      env: io.env,
      log: (line) => io.stderr.write(`${JSON.stringify({ time: new Date().toISOString(), level: 'info', ...line })}\n`),
      observer: progress,
      notice: (text) => io.stdout.write(`${text}\n`),
    });
  } catch (error) {
    io.stderr.write(`opsbox watch: ${(error as Error).message}\n`);
    return EXIT_INVALID;
  }
  const controller = new AbortController();
  const stop = () => controller.abort();
  io.signal?.addEventListener('abort', stop, { once: true });
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  io.stdout.write(`watching ${watch.repository.remote} (${values.branch}) every ${values.interval}; state in ${dataDir}\n`);
  const ticker = tty ? setInterval(() => progress.refresh(), 200) : undefined;
  try {
    await watch.run({ signal: controller.signal });
  } finally {
    if (ticker) clearInterval(ticker);
    progress.close();
    process.off('SIGINT', stop);
    process.off('SIGTERM', stop);
    await watch.close();
  }
  return EXIT_OK;
}

export const ROLLOUT_COMMANDS: readonly CliCommandName[] = ['status', 'promote', 'pause', 'resume', 'abort', 'retry'];

/** No answer from the running watch in time. */
export const EXIT_NO_ANSWER = 3;

const WHAT: Record<CliCommandName, string> = {
  status: 'show where the rollout stands',
  promote: 'finish the current pause or analysis and go on (--full: skip to promotion)',
  pause: 'hold the canary at its weight',
  resume: 'go on after a pause',
  abort: 'fail now: weight 0 commit and a revert branch',
  retry: 'start an aborted rollout again from its first step',
};

const usage = (name: CliCommandName) => `Usage: opsbox ${name} --repo <path or URL> --service <name> [--branch main]${name === 'promote' ? ' [--full]' : ''} [--wait 30s]

${WHAT[name]}, for the newest rollout of the service on the remote that "opsbox watch" watches
(the same --repo and --branch, and the same OPSBOX_DATA_DIR). Safe while the watch runs: it
applies the command itself. Exits 0 when the command applied, 1 when it did not (and says why),
3 when the running watch did not answer within --wait.
`;

export async function rolloutCommand(name: CliCommandName, argv: string[], io: CliIO): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      options: {
        repo: { type: 'string' },
        branch: { type: 'string', default: 'main' },
        service: { type: 'string' },
        full: { type: 'boolean' },
        wait: { type: 'string', default: '30s' },
        help: { type: 'boolean', short: 'h' },
      },
    });
  } catch (error) {
    io.stderr.write(`opsbox ${name}: ${(error as Error).message}\n\n${usage(name)}`);
    return EXIT_USAGE;
  }
  const { values } = parsed;
  if (values.help) {
    io.stdout.write(usage(name));
    return EXIT_OK;
  }
  if (!values.repo || !values.service) {
    io.stderr.write(`opsbox ${name}: --repo and --service are required\n\n${usage(name)}`);
    return EXIT_USAGE;
  }
  if (values.full && name !== 'promote') {
    io.stderr.write(`opsbox ${name}: --full goes with promote only\n`);
    return EXIT_USAGE;
  }
  let waitMs: number;
  try {
    waitMs = parseDuration(values.wait);
  } catch (error) {
    io.stderr.write(`opsbox ${name}: --wait: ${(error as Error).message}\n`);
    return EXIT_USAGE;
  }
  const dataDir = path.resolve(io.env.OPSBOX_DATA_DIR || '.data');
  const actor = io.env.USER || os.userInfo().username;
  const request = newRequest({ remote: normalizeRemote(values.repo), branch: values.branch, service: values.service }, name, actor, values.full === true);

  const print = (answer: { ok: boolean; message: string }) => {
    (answer.ok ? io.stdout : io.stderr).write(`${answer.message}\n`);
    return answer.ok ? EXIT_OK : EXIT_INVALID;
  };

  if (!(await lockHolder(dataDir))) {
    try {
      const watch = await GitWatch.open({ dataDir, remote: values.repo, branch: values.branch, intervalMs: 10_000, env: io.env, log: () => undefined, purpose: `opsbox ${name}` });
      try {
        return print(await watch.applyCommand(request));
      } finally {
        await watch.close();
      }
    } catch (error) {
      // A watch started meanwhile: hand it the command.
      if (!(error instanceof DataDirBusyError)) {
        io.stderr.write(`opsbox ${name}: ${(error as Error).message}\n`);
        return EXIT_INVALID;
      }
    }
  }
  const inbox = new CommandInbox(dataDir);
  await inbox.send(request);
  const answer = await inbox.answer(request.id, waitMs);
  if (!answer) {
    await inbox.withdraw(request.id);
    io.stderr.write(`opsbox ${name}: the running watch did not answer within ${values.wait}; is it stuck? (its lock: ${path.join(dataDir, 'opsbox.lock')})\n`);
    return EXIT_NO_ANSWER;
  }
  return print(answer);
}
