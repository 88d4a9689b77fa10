/** Who may run commands that change a rollout: write, maintain or admin on the repository. */
import type { ReposApi } from './api.js';
import { isNotFound, requestFailed } from './errors.js';

export type RepoRole = 'admin' | 'maintain' | 'write' | 'triage' | 'read' | 'none';

export interface PermissionOctokit {
  rest: { repos: Pick<ReposApi, 'getCollaboratorPermissionLevel'> };
}

const ROLES: readonly RepoRole[] = ['admin', 'maintain', 'write', 'triage', 'read', 'none'];
/** The legacy `permission` field knows only these; it folds maintain into write and triage into read. */
const LEGACY: Record<string, RepoRole> = { admin: 'admin', write: 'write', read: 'read', none: 'none' };

function isRole(value: unknown): value is RepoRole {
  return typeof value === 'string' && (ROLES as readonly string[]).includes(value);
}

/**
 * The user's role on the repository. `role_name` tells maintain and triage apart; a custom role
 * (an organization's own name) falls back to the legacy permission it is based on. A user GitHub
 * does not know (404) has no role.
 */
export async function getRepoPermission(
  octokit: PermissionOctokit,
  options: { owner: string; repo: string; username: string },
): Promise<RepoRole> {
  const { owner, repo, username } = options;
  try {
    const { data } = await octokit.rest.repos.getCollaboratorPermissionLevel({ owner, repo, username });
    if (isRole(data.role_name)) return data.role_name;
    return LEGACY[data.permission] ?? 'none';
  } catch (error) {
    if (isNotFound(error)) return 'none';
    throw requestFailed(`reading the permission of ${username}`, error);
  }
}
