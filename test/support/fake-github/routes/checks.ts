/** Check runs, with GitHub's validation of status, conclusion and output sizes. */
import {
  bodyObject,
  HttpError,
  notFound,
  ok,
  route,
  stringField,
  unprocessable,
  type RequestContext,
  type Route,
} from '../http.js';
import { resolveCommitish } from '../repo-ops.js';
import { checkRunShape } from '../shapes.js';
import type { CheckRun, Repo } from '../state.js';
import { actingUser, numberParam, repoOf, urlsOf } from './common.js';

const STATUSES = ['queued', 'in_progress', 'completed', 'waiting', 'requested', 'pending'];
const CONCLUSIONS = ['action_required', 'cancelled', 'failure', 'neutral', 'success', 'skipped', 'stale', 'timed_out'];
const TEXT_LIMIT = 65535;

function checkText(value: string | undefined, field: string): void {
  if (value !== undefined && value.length > TEXT_LIMIT) {
    throw unprocessable(`Invalid request.\n\nOnly ${TEXT_LIMIT} characters are allowed; ${value.length} were supplied. (${field})`);
  }
}

/** Applies the writable fields of a create or update body to a check run. */
function applyFields(ctx: RequestContext, run: CheckRun, body: Record<string, unknown>): void {
  const status = stringField(body, 'status');
  const conclusion = stringField(body, 'conclusion');
  if (status !== undefined && !STATUSES.includes(status)) throw unprocessable(`Invalid request.\n\n${status} is not a valid status.`);
  if (conclusion !== undefined && !CONCLUSIONS.includes(conclusion)) {
    throw unprocessable(`Invalid request.\n\n${conclusion} is not a valid conclusion.`);
  }
  const name = stringField(body, 'name');
  if (name !== undefined) run.name = name;
  const detailsUrl = stringField(body, 'details_url');
  if (detailsUrl !== undefined) run.detailsUrl = detailsUrl;
  const externalId = stringField(body, 'external_id');
  if (externalId !== undefined) run.externalId = externalId;
  const startedAt = stringField(body, 'started_at');
  if (startedAt !== undefined) run.startedAt = startedAt;
  if (conclusion !== undefined) {
    // a conclusion completes the run, whatever status says
    run.status = 'completed';
    run.conclusion = conclusion;
    run.completedAt = stringField(body, 'completed_at') ?? ctx.state.now();
  } else if (status !== undefined) {
    if (status === 'completed') throw unprocessable('Invalid request.\n\n"conclusion" is required when "status" is "completed".');
    run.status = status;
    run.conclusion = null;
    run.completedAt = null;
  }
  if (body.output !== undefined && body.output !== null) {
    if (typeof body.output !== 'object') throw unprocessable(`Invalid request.\n\n"output" is not an object.`);
    const output = body.output as Record<string, unknown>;
    const title = stringField(output, 'title', true);
    const summary = stringField(output, 'summary', true);
    const text = stringField(output, 'text');
    checkText(summary, 'output.summary');
    checkText(text, 'output.text');
    run.output = { title, summary, text: text ?? null };
  }
}

function runOf(ctx: RequestContext, repo: Repo): CheckRun {
  const run = ctx.state.checkRuns.get(numberParam(ctx, 'id'));
  if (!run || run.repo !== repo) throw notFound();
  return run;
}

export const checkRoutes: Route[] = [
  route('POST', '/repos/:owner/:repo/check-runs', (ctx) => {
    const repo = repoOf(ctx);
    actingUser(ctx);
    const body = bodyObject(ctx);
    const name = stringField(body, 'name', true);
    const headSha = stringField(body, 'head_sha', true).toLowerCase();
    if (repo.objects.typeOf(headSha) !== 'commit') throw unprocessable(`No commit found for SHA: ${headSha}`);
    const run: CheckRun = {
      id: ctx.state.newId(),
      repo,
      name,
      headSha,
      status: 'queued',
      conclusion: null,
      startedAt: ctx.state.now(),
      completedAt: null,
      detailsUrl: null,
      externalId: null,
      output: { title: null, summary: null, text: null },
      appSlug: ctx.state.app.slug,
      suiteId: ctx.state.newId(),
    };
    applyFields(ctx, run, body);
    ctx.state.checkRuns.set(run.id, run);
    return ok(checkRunShape(urlsOf(ctx), ctx.state, run), 201);
  }),

  route('GET', '/repos/:owner/:repo/check-runs/:id', (ctx) => {
    const repo = repoOf(ctx);
    return ok(checkRunShape(urlsOf(ctx), ctx.state, runOf(ctx, repo)));
  }),

  route('PATCH', '/repos/:owner/:repo/check-runs/:id', (ctx) => {
    const repo = repoOf(ctx);
    actingUser(ctx);
    const run = runOf(ctx, repo);
    if (run.appSlug !== ctx.state.app.slug || ctx.actor.kind !== 'installation') {
      throw new HttpError(403, 'Invalid app_id `' + ctx.state.app.id + '` - check run can only be modified by the GitHub App that created it.');
    }
    applyFields(ctx, run, bodyObject(ctx));
    return ok(checkRunShape(urlsOf(ctx), ctx.state, run));
  }),

  route('GET', '/repos/:owner/:repo/commits/*ref/check-runs', (ctx) => {
    const repo = repoOf(ctx);
    const sha = resolveCommitish(repo, ctx.params.ref);
    if (!sha) throw unprocessable(`No commit found for SHA: ${ctx.params.ref}`);
    const name = ctx.query.get('check_name');
    const status = ctx.query.get('status');
    let runs = [...ctx.state.checkRuns.values()]
      .filter((run) => run.repo === repo && run.headSha === sha)
      .filter((run) => !name || run.name === name)
      .filter((run) => !status || run.status === status)
      .sort((a, b) => b.id - a.id);
    if (ctx.query.get('filter') !== 'all') {
      const seen = new Set<string>();
      runs = runs.filter((run) => {
        const key = `${run.appSlug}/${run.name}`;
        if (seen.has(key)) return false;
        seen.add(key);
        return true;
      });
    }
    return ok({ total_count: runs.length, check_runs: runs.map((run) => checkRunShape(urlsOf(ctx), ctx.state, run)) });
  }),
];
