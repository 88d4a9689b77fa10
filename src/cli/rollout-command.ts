/**
 * `opsbox promote|pause|resume|abort|retry|status --repo … --service …`: the ChatOps commands for
 * rollouts of `opsbox watch`, applied through the same state machine and store. While a watch holds
 * the data dir the command goes through its inbox and the watch applies it; otherwise the command
 * takes the data dir itself, applies it (and the commits it decides, e.g. an abort's rollback), and
 * lets go.
 */
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { CommandInbox, newRequest, type CliCommandName } from '../app/command-inbox.js';
import { lockHolder } from '../app/data-dir-lock.js';
import { DataDirBusyError, GitWatch } from '../app/git-watch.js';
import { normalizeRemote } from '../forge/git/repository.js';
import { parseDuration } from '../util/duration.js';
import { EXIT_INVALID, EXIT_OK, EXIT_USAGE, type CliIO } from './io.js';

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
  const answer = await inbox.answer(request.id, parseDuration(values.wait));
  if (!answer) {
    await inbox.withdraw(request.id);
    io.stderr.write(`opsbox ${name}: the running watch did not answer within ${values.wait}; is it stuck? (its lock: ${path.join(dataDir, 'opsbox.lock')})\n`);
    return EXIT_NO_ANSWER;
  }
  return print(answer);
}
