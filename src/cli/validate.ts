/** `opsbox validate [DIR]`: checks a manifests checkout the way the app checks a merge commit. */
import { parseArgs } from 'node:util';
import { CONFIG_PATH } from '../config/opsbox.schema.js';
import { formatProblem, type ConfigProblem } from '../config/problems.js';
import { checkCheckout, printProblems } from './checkout.js';
import { EXIT_INVALID, EXIT_OK, EXIT_USAGE, type CliIO } from './io.js';

const USAGE = `Usage: opsbox validate [DIR]

Checks the manifests checkout in DIR (default: the current folder): ${CONFIG_PATH}, that each
service's files exist, that the canary and stable image tags can be found, that each traffic
object has both backends, gives the canary 0% and can express every setWeight step, and that
every analysis template exists and resolves.

Prints each problem on its own line as "file:line: key: message" and exits 1, or exits 0.
`;

export async function validateCommand(argv: string[], io: CliIO): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({ args: argv, allowPositionals: true, options: { help: { type: 'boolean', short: 'h' } } });
  } catch (error) {
    io.stderr.write(`opsbox validate: ${(error as Error).message}\n\n${USAGE}`);
    return EXIT_USAGE;
  }
  if (parsed.values.help) {
    io.stdout.write(USAGE);
    return EXIT_OK;
  }
  if (parsed.positionals.length > 1) {
    io.stderr.write(`opsbox validate: expected at most one folder\n\n${USAGE}`);
    return EXIT_USAGE;
  }
  const result = await checkCheckout(parsed.positionals[0] ?? '.');
  if (result.kind === 'no-config') {
    io.stderr.write(`${result.message}\n`);
    return EXIT_INVALID;
  }
  if (result.kind === 'invalid') {
    printWarnings(io.stdout, result.warnings);
    printProblems(io.stdout, result.problems);
    if (result.stage === 'checks') io.stdout.write(`${result.problems.length} problem${result.problems.length === 1 ? '' : 's'} found\n`);
    return EXIT_INVALID;
  }
  printWarnings(io.stdout, result.check.warnings);
  for (const check of result.check.services.values()) {
    io.stdout.write(
      `ok  ${check.service}: canary ${check.canaryVersion}, stable ${check.stableVersion}, canary weight ${check.weight}%, ${Object.keys(check.analyses).length} analyses\n`,
    );
  }
  io.stdout.write(`valid: ${result.check.services.size} service(s), ${result.check.templateCount} template(s)\n`);
  return EXIT_OK;
}

/** Problems that block nothing (an invalid template no service uses), printed before the verdict. */
function printWarnings(out: { write(text: string): unknown }, warnings: readonly ConfigProblem[]): void {
  for (const warning of warnings) out.write(`warning: ${formatProblem(warning)}\n`);
}
