/**
 * The `opsbox/canary` check run: created once, then updated in place. A run created with an
 * `externalId` is found again by it, so a crash between creating it and saving its id does not
 * lead to a second run.
 */
import type { CheckRunConclusion, CheckRunFields, CheckRunStatus, ChecksApi } from './api.js';
import { attempt, GITHUB_ERROR_CODES, GitHubEditError, isNotFound, requestFailed } from './errors.js';

export interface CheckRunOctokit {
  rest: { checks: Pick<ChecksApi, 'create' | 'update' | 'listForRef'> };
}

export interface UpsertCheckRunOptions {
  owner: string;
  repo: string;
  headSha: string;
  /** The check run made earlier, when its id was saved. */
  checkRunId?: number | null;
  /** Default `opsbox/canary`. */
  name?: string;
  status: CheckRunStatus;
  /** Required when `status` is `completed`, ignored otherwise. */
  conclusion?: CheckRunConclusion | null;
  title: string;
  summary: string;
  text?: string;
  detailsUrl?: string;
  /** Identifies the run among the runs of its name on `headSha` (e.g. the rollout id). */
  externalId?: string;
  /**
   * Whether an earlier call may have made the run without its id being kept (default true).
   * False skips the search by `externalId`: the caller knows no such run was made.
   */
  mayExist?: boolean;
}

export const CHECK_RUN_NAME = 'opsbox/canary';

/** GitHub refuses output fields longer than this. */
export const CHECK_OUTPUT_LIMIT = 65535;
const TRUNCATION_NOTE = '\n\n… (cut to fit the check run; the pull request comment has everything)';

function fitCheckOutput(text: string): string {
  if (text.length <= CHECK_OUTPUT_LIMIT) return text;
  return text.slice(0, CHECK_OUTPUT_LIMIT - TRUNCATION_NOTE.length) + TRUNCATION_NOTE;
}

function fields(options: UpsertCheckRunOptions): CheckRunFields & { name: string } {
  if (options.status === 'completed' && !options.conclusion) {
    throw new GitHubEditError(GITHUB_ERROR_CODES.INVALID_CHECK_RUN, 'a completed check run needs a conclusion');
  }
  return {
    name: options.name ?? CHECK_RUN_NAME,
    status: options.status,
    ...(options.status === 'completed' ? { conclusion: options.conclusion! } : {}),
    ...(options.detailsUrl ? { details_url: options.detailsUrl } : {}),
    ...(options.externalId ? { external_id: options.externalId } : {}),
    output: {
      title: options.title,
      summary: fitCheckOutput(options.summary),
      ...(options.text === undefined ? {} : { text: fitCheckOutput(options.text) }),
    },
  };
}

/** Updates the known check run (or creates one when there is none, or it is gone); returns its id. */
export async function upsertCheckRun(octokit: CheckRunOctokit, options: UpsertCheckRunOptions): Promise<number> {
  const { owner, repo, headSha } = options;
  const body = fields(options);
  if (options.checkRunId) {
    const checkRunId = options.checkRunId;
    try {
      const { data } = await octokit.rest.checks.update({ owner, repo, check_run_id: checkRunId, ...body });
      return data.id;
    } catch (error) {
      if (!isNotFound(error)) throw requestFailed(`updating check run ${checkRunId}`, error);
    }
  }
  const existing = options.mayExist === false ? undefined : await findByExternalId(octokit, options, body.name);
  if (existing !== undefined) {
    const { data } = await attempt(`updating check run ${existing}`, () =>
      octokit.rest.checks.update({ owner, repo, check_run_id: existing, ...body }),
    );
    return data.id;
  }
  const { data } = await attempt(`creating check run ${body.name}`, () =>
    octokit.rest.checks.create({ owner, repo, head_sha: headSha, ...body }),
  );
  return data.id;
}

/** The run of this name on the head commit that carries the options' `externalId`. */
async function findByExternalId(octokit: CheckRunOctokit, options: UpsertCheckRunOptions, name: string): Promise<number | undefined> {
  const { owner, repo, headSha, externalId } = options;
  if (!externalId) return undefined;
  const { data } = await attempt(`listing check runs of ${headSha}`, () =>
    octokit.rest.checks.listForRef({ owner, repo, ref: headSha, check_name: name, filter: 'all', per_page: 100 }),
  );
  return data.check_runs.find((run) => run.external_id === externalId)?.id;
}
