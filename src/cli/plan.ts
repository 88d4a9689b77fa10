/** `opsbox plan [DIR] --service NAME --to TAG`: the diffs a rollout would commit, offline. */
import { parseArgs } from 'node:util';
import { formatVersion, parseImageReference, parseVersion } from '../manifests/image-ref.js';
import { ManifestError } from '../manifests/errors.js';
import { planRollout } from '../rollout/plan.js';
import { checkCheckout, printProblems } from './checkout.js';
import { EXIT_INVALID, EXIT_OK, EXIT_USAGE, type CliIO } from './io.js';

const USAGE = `Usage: opsbox plan [DIR] --service NAME --to TAG

Prints, for each step of the service's rollout, the unified diff that step would commit to the
manifests checkout in DIR (default: the current folder), ending with the promotion commit.
TAG is the version the canary is bumped to (a tag, a digest sha256:..., or tag@sha256:...).
Nothing is written.
`;

export async function planCommand(argv: string[], io: CliIO): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      options: { service: { type: 'string' }, to: { type: 'string' }, help: { type: 'boolean', short: 'h' } },
    });
  } catch (error) {
    io.stderr.write(`opsbox plan: ${(error as Error).message}\n\n${USAGE}`);
    return EXIT_USAGE;
  }
  if (parsed.values.help) {
    io.stdout.write(USAGE);
    return EXIT_OK;
  }
  const { service: name, to } = parsed.values;
  if (!name || !to || parsed.positionals.length > 1) {
    io.stderr.write(`opsbox plan: --service and --to are required\n\n${USAGE}`);
    return EXIT_USAGE;
  }
  const version = parseVersion(to);
  if (!version) {
    io.stderr.write(`opsbox plan: ${notAVersion(to)}\n\n${USAGE}`);
    return EXIT_USAGE;
  }
  const checkout = await checkCheckout(parsed.positionals[0] ?? '.', [name]);
  if (checkout.kind === 'no-config') {
    io.stderr.write(`${checkout.message}\n`);
    return EXIT_INVALID;
  }
  if (checkout.kind === 'invalid') {
    printProblems(io.stderr, checkout.problems);
    return EXIT_INVALID;
  }
  const { files, config, check } = checkout;
  const service = config.services[name];
  const from = check.services.get(name)?.canaryVersion ?? '';
  const stable = check.services.get(name)?.stableVersion;
  if (stable !== undefined && formatVersion(version) === stable) {
    io.stdout.write(`no rollout would start: ${stable} is already the stable version of ${name}, and a merge that brings the canary to it starts nothing.\n`);
    return EXIT_OK;
  }

  io.stdout.write(`plan for ${name}: ${from} → ${to} (${service.steps.length} steps)\n\n`);
  try {
    for await (const step of planRollout(name, service, { from, to }, (file) => files.readOptional(file))) {
      io.stdout.write(`## ${step.heading}\n`);
      if (!step.commit) {
        io.stdout.write('  (no commit)\n\n');
        continue;
      }
      io.stdout.write(`commit: ${step.commit.subject}\n`);
      if (step.commit.patches.length === 0) io.stdout.write('  (no change: the files already have this weight)\n');
      io.stdout.write(step.commit.patches.join(''));
      io.stdout.write('\n');
    }
  } catch (error) {
    // what the app would refuse at this commit: said where, like validate, not as a crash
    if (!(error instanceof ManifestError)) throw error;
    io.stderr.write(`${error.message}\n`);
    return EXIT_INVALID;
  }
  return EXIT_OK;
}

/** Why `--to` is not a version; a whole image reference gets the version it holds as a hint. */
function notAVersion(to: string): string {
  const reference = parseImageReference(to);
  const inner = formatVersion(reference);
  if (reference.repository && inner && parseVersion(inner)) {
    return `--to takes the version only, not an image reference: for ${to} pass --to ${inner}`;
  }
  return `--to ${JSON.stringify(to)} is not an image version; use a tag (v2), a digest (sha256:…) or both (v2@sha256:…)`;
}

