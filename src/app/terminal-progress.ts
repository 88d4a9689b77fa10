/**
 * Live progress of rollouts on the terminal, for `opsbox watch` and `opsbox demo`: each step as
 * it starts, the weight commits, every measurement with its value, condition and verdict, a bar
 * while a pause or the sync delay runs, and how the rollout ended. It watches the engine's stored
 * transitions (an EngineObserver) and never changes what the engine does.
 *
 * On a terminal the bar is redrawn in place; elsewhere (a pipe, CI, `--plain`) the same events
 * are plain lines and a wait is one line when it starts.
 */
import type { EngineObserver } from './engine.js';
import type { RunState } from '../analysis/run.js';
import type { Step } from '../config/opsbox.schema.js';
import type { RolloutEvent, RolloutState } from '../rollout/types.js';
import { parseDuration } from '../util/duration.js';

export interface ProgressOptions {
  out: { write(text: string): unknown };
  /** Redraw a bar in place (a terminal); false prints plain lines only. */
  tty: boolean;
  clock?: () => number;
  /** Width of the bar in characters. */
  barWidth?: number;
}

interface Wait {
  label: string;
  from: number;
  until: number;
}

const COLOR = { green: '\x1b[32m', red: '\x1b[31m', yellow: '\x1b[33m', dim: '\x1b[2m', bold: '\x1b[1m', reset: '\x1b[0m' };

export class ProgressView implements EngineObserver {
  private readonly clock: () => number;
  private readonly waits = new Map<string, Wait>();
  private barShown = false;

  constructor(private readonly options: ProgressOptions) {
    this.clock = options.clock ?? Date.now;
  }

  transition(before: RolloutState, event: RolloutEvent, after: RolloutState): void {
    const lines: string[] = [];
    const total = after.serviceConfig.steps.length;
    if (event.type === 'start') {
      lines.push(this.paint('bold', `▶ ${after.service}: canary ${after.from} → ${after.to}`) + this.paint('dim', ` (${after.source.title})`));
      lines.push(`  steps: ${after.serviceConfig.steps.map(describeStep).join(' → ')}`);
    }
    if (event.type === 'command') lines.push(`  ⌁ ${event.command.name}${'full' in event.command && event.command.full ? ' --full' : ''} by ${event.actor}`);
    // What ended the last step comes before the line of the next one.
    lines.push(...this.measurements(before, after));
    for (const commit of after.commits.slice(before.commits.length)) {
      const sha = commit.sha ? commit.sha.slice(0, 7) : 'already in place';
      const what = commit.kind === 'promote' ? `promotion: stable → ${after.to}, weight 0%` : commit.kind === 'rollback' ? 'rollback: weight 0%, traffic to stable' : `weight ${commit.weight}%`;
      lines.push(`  ✎ committed ${what} (${sha})`);
    }
    if (after.revert && after.revert.branch !== before.revert?.branch) lines.push(`  ↩ revert proposed: ${after.revert.label}`);
    const stepChanged = after.stepIndex !== before.stepIndex || (after.step?.kind !== before.step?.kind && after.step !== undefined) || event.type === 'start';
    if (stepChanged && after.step && !isEnded(after)) {
      lines.push(`${this.paint('bold', `step ${after.stepIndex + 1}/${total}`)} ${describeStep(after.serviceConfig.steps[after.stepIndex])}`);
    }
    if (after.phase !== before.phase || (after.phase === 'Paused' && after.pauseReason !== before.pauseReason)) lines.push(...this.phaseLines(after));
    if (lines.length > 0) this.print(lines);
    this.trackWaits(after);
  }

  /** Redraws the bar of the current waits (call it often on a terminal; does nothing otherwise). */
  refresh(): void {
    if (!this.options.tty) return;
    const now = this.clock();
    const parts = [...this.waits.values()].filter((w) => w.until > now).map((w) => this.bar(w, now));
    if (parts.length === 0) {
      this.clearBar();
      return;
    }
    this.options.out.write(`\r\x1b[2K${parts.join('   ')}`);
    this.barShown = true;
  }

  /** Ends the view: the bar's line is cleared so what follows starts clean. */
  close(): void {
    this.clearBar();
  }

  private measurements(before: RolloutState, after: RolloutState): string[] {
    const lines: string[] = [];
    // A run that ended moved the rollout to its next step: it is among the finished runs now.
    const stepRun = runOf(after) ?? (runOf(before) ? after.finishedRuns[`step:${before.stepIndex}`] : undefined);
    const pairs: [RunState | undefined, RunState | undefined, string][] = [[runOf(before), stepRun, 'analysis']];
    if (after.background) pairs.push([before.background, after.background, 'background']);
    for (const [old, run, label] of pairs) {
      if (!run) continue;
      const sameRun = old !== undefined && old.startedAt === run.startedAt;
      run.results.forEach((result, index) => {
        const oldResult = sameRun ? old.results[index] : undefined;
        const seen = oldResult ? oldResult.count + oldResult.error : 0;
        const fresh = result.count + result.error - seen;
        if (fresh <= 0) return;
        const spec = run.metrics[index];
        const condition = spec?.successCondition ?? (spec?.failureCondition ? `not (${spec.failureCondition})` : 'no condition');
        for (const m of result.measurements.slice(-fresh)) {
          const value = m.value ?? (m.message ? `error: ${m.message}` : '—');
          lines.push(`  ${label === 'background' ? '◦ background ' : '• '}${result.name} = ${value}   ${this.paint('dim', condition)}   ${this.verdict(m.phase)}`);
        }
      });
      const finished = run.phase !== 'Running' && run.phase !== 'Pending' && (!sameRun || old.phase !== run.phase);
      if (finished) lines.push(`  ${label} ${this.verdict(run.phase)}${run.message ? this.paint('dim', ` (${run.message})`) : ''}`);
    }
    return lines;
  }

  private phaseLines(state: RolloutState): string[] {
    switch (state.phase) {
      case 'Paused': {
        const why = { step: 'pause step: waiting for `opsbox promote` or `opsbox resume`', inconclusive: 'analysis inconclusive: holding, waiting for `opsbox promote` or `opsbox abort`', command: 'paused by a command: `opsbox resume` goes on', failure: 'failed with onFailure: pause: holding, waiting for a decision' }[state.pauseReason ?? 'command'];
        return [this.paint('yellow', `⏸ paused at ${state.weight}% — ${why}`)];
      }
      case 'Promoting':
        return [`promoting ${state.to} to stable`];
      case 'Succeeded':
        return [this.paint('green', `✔ ${state.service} ${state.to} promoted: stable is ${state.to}, canary weight 0%`)];
      case 'Aborting':
        return [this.paint('red', `✖ canary failed: ${state.failure?.reason ?? 'aborted'}; rolling back`)];
      case 'Aborted':
        return [this.paint('red', `✖ ${state.service} ${state.to} rolled back: traffic on stable ${state.from}, weight 0%`)];
      case 'Superseded':
        return [`${state.service} ${state.to} superseded by ${state.supersededBy ?? 'a newer bump'}`];
      default:
        return [];
    }
  }

  /** Pauses with a duration and the sync delay after a weight commit get a bar (or one line). */
  private trackWaits(state: RolloutState): void {
    const wait = currentWait(state, this.clock());
    const known = this.waits.get(state.id);
    if (!wait) {
      this.waits.delete(state.id);
      return;
    }
    if (known && known.label === wait.label && known.until === wait.until) return;
    this.waits.set(state.id, wait);
    if (!this.options.tty) this.print([`  … ${wait.label} ${formatSeconds(wait.until - wait.from)}`]);
  }

  private bar(wait: Wait, now: number): string {
    const width = this.options.barWidth ?? 24;
    const span = Math.max(1, wait.until - wait.from);
    const done = Math.min(width, Math.max(0, Math.round(((now - wait.from) / span) * width)));
    return `  ${wait.label} [${'█'.repeat(done)}${'░'.repeat(width - done)}] ${formatSeconds(wait.until - now)} left`;
  }

  private verdict(phase: string): string {
    if (phase === 'Successful') return this.paint('green', '✔ Successful');
    if (phase === 'Failed' || phase === 'Error') return this.paint('red', `✖ ${phase}`);
    if (phase === 'Inconclusive') return this.paint('yellow', '? Inconclusive');
    return phase;
  }

  private paint(color: keyof typeof COLOR, text: string): string {
    return this.options.tty ? `${COLOR[color]}${text}${COLOR.reset}` : text;
  }

  private print(lines: string[]): void {
    this.clearBar();
    this.options.out.write(`${lines.join('\n')}\n`);
  }

  private clearBar(): void {
    if (!this.barShown) return;
    this.options.out.write('\r\x1b[2K');
    this.barShown = false;
  }
}

function runOf(state: RolloutState): RunState | undefined {
  return state.step?.kind === 'analysis' ? state.step.run : undefined;
}

function isEnded(state: RolloutState): boolean {
  return state.phase === 'Succeeded' || state.phase === 'Aborted' || state.phase === 'Superseded';
}

function currentWait(state: RolloutState, now: number): Wait | undefined {
  if (isEnded(state) || state.phase === 'Paused') return undefined;
  const step = state.step;
  if (step?.kind === 'pause' && step.until !== undefined && step.until > now) {
    const duration = stepDuration(state.serviceConfig.steps[state.stepIndex]);
    return { label: `pause ${state.stepIndex + 1}`, from: duration ? step.until - duration : now, until: step.until };
  }
  if (step?.kind === 'setWeight' && step.appliedAt !== undefined && step.appliedAt > now && step.sha !== undefined) {
    const commitAt = state.commits[state.commits.length - 1]?.at ?? now;
    return { label: `sync ${step.weight}%`, from: Math.min(commitAt, now), until: step.appliedAt };
  }
  return undefined;
}

function stepDuration(step: Step | undefined): number | undefined {
  if (!step || !('pause' in step) || step.pause.duration === undefined) return undefined;
  try {
    return parseDuration(step.pause.duration);
  } catch {
    return undefined;
  }
}

export function describeStep(step: Step | undefined): string {
  if (!step) return '?';
  if ('setWeight' in step && step.setWeight !== undefined) return `${step.setWeight}%`;
  if ('pause' in step) return step.pause.duration !== undefined ? `pause ${step.pause.duration}` : 'pause (until promoted)';
  if ('analysis' in step) return `analysis (${step.analysis.templates.map((t) => t.templateName).join(', ')})`;
  return '?';
}

function formatSeconds(ms: number): string {
  const seconds = Math.max(0, Math.ceil(ms / 1000));
  return seconds >= 60 ? `${Math.floor(seconds / 60)}m${String(seconds % 60).padStart(2, '0')}s` : `${seconds}s`;
}
