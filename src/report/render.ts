/**
 * The texts people read on GitHub, rendered from a RolloutView with the Markdown templates:
 * the status comment on the bump PR, the `opsbox/canary` check run, the revert PR body, the
 * failure comment, and the list of config problems. Pure: view in, text out.
 */
import type { CommandReplyView, HelpView } from '../chatops/reply-views.js';
import type { PreflightCheckView } from '../preflight/check.js';
import { preflightTemplateData } from './preflight-rows.js';
import type { RolloutView } from './view.js';
import { commentSafe } from './markdown.js';
import { problemRows, type ProblemInput } from './problem-rows.js';
import { compileTemplates, type TemplateName } from './templates.js';

export interface CheckRunOutput {
  title: string;
  summary: string;
  text?: string;
  conclusion?: 'success' | 'failure' | 'neutral' | 'action_required';
  status: 'queued' | 'in_progress' | 'completed';
}

export type ConfigProblemInput = ProblemInput;

export interface ConfigProblemsOptions {
  /** `https://github.com/acme/manifests/blob/<sha>`: each file and line becomes a link. */
  blobUrl?: string;
}

export interface ReportRenderer {
  statusComment(view: RolloutView): string;
  checkRun(view: RolloutView): CheckRunOutput;
  revertPrBody(view: RolloutView): string;
  failureComment(view: RolloutView): string;
  configProblems(problems: readonly ConfigProblemInput[], options?: ConfigProblemsOptions): string;
  commandReply(view: CommandReplyView): string;
  commandHelp(view: HelpView): string;
  /** The `opsbox/preflight` check on a pull request. */
  preflightCheck(view: PreflightCheckView): CheckRunOutput;
}

/** GitHub refuses comment and PR bodies longer than this. */
export const BODY_LIMIT = 65_536;
/** GitHub refuses a check run summary or text longer than this. */
export const CHECK_RUN_LIMIT = 65_535;

/** How much detail a rendering shows; a smaller level is tried when a body is too long. */
interface DetailLevel {
  measurements: number;
  charts: boolean;
  history: boolean;
}

const DETAIL_LEVELS: readonly DetailLevel[] = [
  { measurements: 10, charts: true, history: true },
  { measurements: 3, charts: false, history: false },
];

const TRUNCATION_NOTE = '\n\n_This report was cut to fit GitHub’s size limit._\n';
const CLOSING_FENCE = '\n```````';

/** The hidden first line that identifies a rollout's status comment, to edit it in place. */
export function statusMarker(rolloutId: string): string {
  return `<!-- opsbox:status rollout=${commentSafe(rolloutId)} -->`;
}

/** The hidden first line of a rollout's revert pull request body. */
export function revertMarker(rolloutId: string): string {
  return `<!-- opsbox:revert rollout=${commentSafe(rolloutId)} -->`;
}

/** The hidden first line of a rollout's failure comment: one per failure, so a rollout that fails again after /retry gets a new one. */
export function failureMarker(rolloutId: string, failedAt?: number): string {
  return `<!-- opsbox:failure rollout=${commentSafe(rolloutId)}${failedAt === undefined ? '' : ` at=${failedAt}`} -->`;
}

/** A renderer over the templates of `templateDir` (default: the package's `templates/`). */
export function createReportRenderer(options: { templateDir?: URL } = {}): ReportRenderer {
  const templates = compileTemplates(options.templateDir);
  const fill = (name: TemplateName, context: object, limit: number): string =>
    fitWithin(limit, (detail) => tidy(templates[name]({ ...context, limits: detail })));

  return {
    // GitHub alerts (`> [!CAUTION]`) are for comments; check runs get a plain quote.
    statusComment: (view) => fill('status-comment', { ...view, marker: statusMarker(view.id), alerts: true }, BODY_LIMIT),
    checkRun: (view) => {
      const output: CheckRunOutput = {
        title: checkRunTitle(view),
        summary: fill('check-run-summary', view, CHECK_RUN_LIMIT),
        // Queued until the first change is committed, as GitHub's own checks wait before they run.
        status: view.terminal ? 'completed' : view.commits.length === 0 ? 'queued' : 'in_progress',
      };
      const text = fill('check-run-text', view, CHECK_RUN_LIMIT);
      if (text.trim() !== '') output.text = text;
      const conclusion = checkRunConclusion(view);
      if (conclusion) output.conclusion = conclusion;
      return output;
    },
    revertPrBody: (view) => fill('revert-pr-body', { ...view, marker: revertMarker(view.id) }, BODY_LIMIT),
    failureComment: (view) => fill('failure-comment', { ...view, marker: failureMarker(view.id, view.failure?.at) }, BODY_LIMIT),
    configProblems: (problems, problemOptions = {}) =>
      fill('config-problems', { problems: problemRows(problems, problemOptions.blobUrl) }, BODY_LIMIT),
    commandReply: (view) => fill('command-reply', view, BODY_LIMIT),
    commandHelp: (view) => fill('command-help', view, BODY_LIMIT),
    preflightCheck: (view) => ({
      title: view.title,
      summary: fill('preflight-check', preflightTemplateData(view), CHECK_RUN_LIMIT),
      status: 'completed',
      conclusion: view.conclusion,
    }),
  };
}

let defaultRenderer: ReportRenderer | undefined;

/** The renderer over the package's templates, compiled on first use and kept. */
export function reportRenderer(): ReportRenderer {
  defaultRenderer ??= createReportRenderer();
  return defaultRenderer;
}

export function renderStatusComment(view: RolloutView): string {
  return reportRenderer().statusComment(view);
}

export function renderCheckRun(view: RolloutView): CheckRunOutput {
  return reportRenderer().checkRun(view);
}

export function renderRevertPrBody(view: RolloutView): string {
  return reportRenderer().revertPrBody(view);
}

export function renderFailureComment(view: RolloutView): string {
  return reportRenderer().failureComment(view);
}

export function renderConfigProblems(problems: readonly ConfigProblemInput[], options?: ConfigProblemsOptions): string {
  return reportRenderer().configProblems(problems, options);
}

/** Succeeded → success, Aborted → failure, Superseded → neutral; a running or paused rollout has none yet. */
function checkRunConclusion(view: Pick<RolloutView, 'phase'>): CheckRunOutput['conclusion'] {
  switch (view.phase) {
    case 'Succeeded':
      return 'success';
    case 'Aborted':
      return 'failure';
    case 'Superseded':
      return 'neutral';
    default:
      return undefined;
  }
}

/** One line for the checks list: what happened, at a glance. */
function checkRunTitle(view: RolloutView): string {
  const change = `${view.service} ${view.from} → ${view.to}`;
  switch (view.phase) {
    case 'Progressing':
      return `${change}: ${view.weight}% at step ${view.stepNumber} of ${view.totalSteps}`;
    case 'Paused':
      return `${change}: paused at ${view.weight}%${view.pauseReason === 'command' ? '' : ', waiting for a decision'}`;
    case 'Promoting':
      return `${change}: promoting`;
    case 'Succeeded':
      return `${change}: promoted`;
    case 'Aborting':
      return `${change}: rolling back`;
    case 'Aborted':
      return view.rollbackCommit ? `${change}: rolled back to ${view.from}` : `${change}: aborted`;
    case 'Superseded':
      return `${change}: superseded`;
  }
}

/** Renders with the most detail that fits; cuts the least detailed rendering as a last resort. */
function fitWithin(limit: number, render: (detail: DetailLevel) => string): string {
  let text = '';
  for (const detail of DETAIL_LEVELS) {
    text = render(detail);
    if (text.length <= limit) return text;
  }
  const room = limit - TRUNCATION_NOTE.length - CLOSING_FENCE.length;
  const cut = text.lastIndexOf('\n', room);
  const kept = text.slice(0, cut > 0 ? cut : room);
  // A cut inside a code block would swallow the note; close the block first.
  const openFences = kept.split('\n').filter((line) => /^`{3,}/.test(line)).length;
  return kept + (openFences % 2 === 1 ? CLOSING_FENCE : '') + TRUNCATION_NOTE;
}

/** Conditional sections leave runs of blank lines; one blank line is all Markdown needs. */
function tidy(text: string): string {
  return `${text.replace(/[ \t]+$/gm, '').replace(/\n{3,}/g, '\n\n').trim()}\n`;
}
