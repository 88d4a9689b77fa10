/** `opsbox watch --repo <path or URL> [--branch main] [--interval 10s]`: canaries on a plain git remote. */
import path from 'node:path';
import { parseArgs } from 'node:util';
import { DataDirBusyError, GitWatch } from '../app/git-watch.js';
import { parseDuration } from '../util/duration.js';
import { EXIT_INVALID, EXIT_OK, EXIT_USAGE, type CliIO } from './io.js';
import { ProgressView } from './progress.js';

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
    return error instanceof DataDirBusyError ? EXIT_INVALID : EXIT_INVALID;
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
