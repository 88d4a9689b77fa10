/** `opsbox plan [DIR] --service NAME --to TAG`: the diffs a rollout would commit, offline. */
import { parseArgs } from 'node:util';
import { createTwoFilesPatch } from 'diff';
import type { Step } from '../config/opsbox.schema.js';
import { formatVersion, parseImageReference, parseVersion } from '../manifests/image-ref.js';
import { ManifestError } from '../manifests/errors.js';
import { buildRolloutChange } from '../rollout/changes.js';
import { commitMessage } from '../rollout/messages.js';
import { checkCheckout, printProblems } from './checkout.js';
import { formatDuration, parseDuration } from '../util/duration.js';
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

  // Work on an in-memory copy: each step's diff is against the state the previous step left.
  const working = new Map<string, string>();
  const read = async (file: string) => working.get(file) ?? (await files.readOptional(file));
  const commit = async (kind: 'weight' | 'promote', weight: number, step?: number) => {
    const changes = await buildRolloutChange(service, kind, weight, to, read);
    const message = commitMessage({
      service: name, kind, weight, to, from, rolloutId: `plan/${name}`, sourceNumber: 0,
      step: step === undefined ? undefined : { number: step + 1, total: service.steps.length },
    });
    io.stdout.write(`commit: ${message.split('\n')[0]}\n`);
    if (changes.length === 0) io.stdout.write('  (no change: the files already have this weight)\n');
    for (const change of changes) {
      const before = (await read(change.path)) ?? '';
      io.stdout.write(createTwoFilesPatch(`a/${change.path}`, `b/${change.path}`, before, change.content, '', '', { context: 2 }).split('\n').slice(1).map((line) => line.replace(/\t$/, '')).join('\n'));
      working.set(change.path, change.content);
    }
    io.stdout.write('\n');
  };

  io.stdout.write(`plan for ${name}: ${from} → ${to} (${service.steps.length} steps)\n\n`);
  try {
    for (const [index, step] of service.steps.entries()) {
      io.stdout.write(`## step ${index + 1}: ${describeStep(step)}\n`);
      if ('setWeight' in step) await commit('weight', step.setWeight, index);
      else io.stdout.write('  (no commit)\n\n');
    }
    io.stdout.write('## promotion\n');
    await commit('promote', 0);
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

function describeStep(step: Step): string {
  if ('setWeight' in step) return `setWeight ${step.setWeight}%`;
  if ('pause' in step) {
    return step.pause.duration === undefined ? 'pause until /promote or /resume' : `pause ${formatDuration(parseDuration(step.pause.duration))}`;
  }
  return `analysis ${step.analysis.templates.map((t) => t.templateName).join(', ')}`;
}
