/**
 * The commits a rollout would make, step by step, as unified diffs: what `opsbox plan` prints and
 * what the preflight check on a bump pull request shows. Nothing is written.
 */
import { createTwoFilesPatch } from 'diff';
import type { ServiceConfig, Step } from '../config/opsbox.schema.js';
import type { ReadFile } from '../forge/forge.js';
import { formatDuration, parseDuration } from '../util/duration.js';
import { buildRolloutChange } from './changes.js';
import { commitMessage } from './messages.js';

export interface PlannedCommit {
  /** The commit message's first line. */
  subject: string;
  /** One unified diff per changed file; empty when the files already have this weight. */
  patches: string[];
}

export interface PlannedStep {
  /** `step 2: setWeight 50%`, or `promotion`. */
  heading: string;
  commit?: PlannedCommit;
}

/**
 * Yields each step with the commit it would make, in order; each diff is against what the step
 * before left. Throws the ManifestError of the first commit the app would refuse, after yielding
 * the steps before it.
 */
export async function* planRollout(
  name: string,
  service: ServiceConfig,
  change: { from: string; to: string },
  readFile: ReadFile,
): AsyncGenerator<PlannedStep> {
  const working = new Map<string, string>();
  const read = async (file: string) => working.get(file) ?? (await readFile(file));
  const commit = async (kind: 'weight' | 'promote', weight: number, step?: number): Promise<PlannedCommit> => {
    const changes = await buildRolloutChange(service, kind, weight, change.to, read);
    const message = commitMessage({
      service: name, kind, weight, to: change.to, from: change.from, rolloutId: `plan/${name}`, sourceNumber: 0,
      step: step === undefined ? undefined : { number: step + 1, total: service.steps.length },
    });
    const patches: string[] = [];
    for (const edited of changes) {
      const before = (await read(edited.path)) ?? '';
      patches.push(
        createTwoFilesPatch(`a/${edited.path}`, `b/${edited.path}`, before, edited.content, '', '', { context: 2 })
          .split('\n').slice(1).map((line) => line.replace(/\t$/, '')).join('\n'),
      );
      working.set(edited.path, edited.content);
    }
    return { subject: message.split('\n')[0], patches };
  };
  for (const [index, step] of service.steps.entries()) {
    const heading = `step ${index + 1}: ${describeStep(step)}`;
    yield 'setWeight' in step ? { heading, commit: await commit('weight', step.setWeight, index) } : { heading };
  }
  yield { heading: 'promotion', commit: await commit('promote', 0) };
}

export function describeStep(step: Step): string {
  if ('setWeight' in step) return `setWeight ${step.setWeight}%`;
  if ('pause' in step) {
    return step.pause.duration === undefined ? 'pause until /promote or /resume' : `pause ${formatDuration(parseDuration(step.pause.duration))}`;
  }
  return `analysis ${step.analysis.templates.map((t) => t.templateName).join(', ')}`;
}
