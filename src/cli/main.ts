/** `opsbox <command>`: dispatches to the commands. */
import { analyzeCommand } from './analyze.js';
import { demoCommand } from './demo.js';
import { ROLLOUT_COMMANDS, rolloutCommand, watchCommand } from './watch.js';
import { EXIT_OK, EXIT_USAGE, type CliIO } from './io.js';
import { migrateStateCommand } from './migrate-state.js';
import { planCommand } from './plan.js';
import { validateCommand } from './validate.js';

const USAGE = `Usage: opsbox <command> [options]

Commands:
  analyze    run AnalysisTemplates against Prometheus now and print every measurement
  validate   check a manifests checkout: .github/opsbox.yml, manifests, traffic objects, templates
  plan       print, offline, the diff each rollout step would commit
  migrate-state  copy the file store's rollouts and claims into PostgreSQL (--to postgres://…)
  demo       run a whole canary offline on a temporary git repository (--fail: a bad version)
  watch      run canaries on a plain git remote: commits pushed with git, status on the terminal
  status, promote, pause, resume, abort, retry
             steer a rollout of "opsbox watch" (--repo … --service …)

Run "opsbox <command> --help" for the options of a command.
`;

const COMMANDS: Record<string, (argv: string[], io: CliIO) => Promise<number>> = {
  analyze: analyzeCommand,
  validate: validateCommand,
  plan: planCommand,
  'migrate-state': migrateStateCommand,
  demo: demoCommand,
  watch: watchCommand,
  ...Object.fromEntries(ROLLOUT_COMMANDS.map((name) => [name, (argv: string[], io: CliIO) => rolloutCommand(name, argv, io)])),
};

export async function main(argv: string[], io: CliIO): Promise<number> {
  const [name, ...rest] = argv;
  if (!name) {
    io.stderr.write(USAGE);
    return EXIT_USAGE;
  }
  if (name === '--help' || name === '-h' || name === 'help') {
    io.stdout.write(USAGE);
    return EXIT_OK;
  }
  const command = COMMANDS[name];
  if (!command) {
    io.stderr.write(`opsbox: unknown command "${name}"\n\n${USAGE}`);
    return EXIT_USAGE;
  }
  return command(rest, io);
}
