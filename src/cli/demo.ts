/** `opsbox demo [--fail] [--plain]`: a whole canary on a temporary git repository, offline. */
import { parseArgs } from 'node:util';
import { runDemo } from '../demo/run-demo.js';
import { EXIT_OK, EXIT_USAGE, type CliIO } from './io.js';

const USAGE = `Usage: opsbox demo [--fail] [--plain]

Runs a whole canary in under a minute, offline: a temporary git repository with an example
service (Istio VirtualService, stable and canary Deployments, an error-rate AnalysisTemplate),
a simulated Prometheus on loopback, an image bump pushed as Renovate would, and the engine of
"opsbox watch" moving traffic 10% → analysis → 50% → analysis → promotion.

  --fail    the new version is bad: its error rate climbs to 20% once it takes traffic, so the
            canary is rolled back (weight 0 commit) and a revert branch is pushed
  --plain   plain lines, no live bar (the default when the output is not a terminal)

Exits 0 when the demo ran as designed (whatever the canary's verdict), 1 when it broke.
`;

/** The demo itself broke (not the canary). */
export const EXIT_DEMO_BROKE = 1;

export async function demoCommand(argv: string[], io: CliIO): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({ args: argv, options: { fail: { type: 'boolean' }, plain: { type: 'boolean' }, help: { type: 'boolean', short: 'h' } } });
  } catch (error) {
    io.stderr.write(`opsbox demo: ${(error as Error).message}\n\n${USAGE}`);
    return EXIT_USAGE;
  }
  if (parsed.values.help) {
    io.stdout.write(USAGE);
    return EXIT_OK;
  }
  const result = await runDemo({ failing: parsed.values.fail === true, plain: parsed.values.plain === true, out: io.stdout, env: io.env });
  return result.ran ? EXIT_OK : EXIT_DEMO_BROKE;
}
