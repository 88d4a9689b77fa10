/** `GET /repos/:o/:r/collaborators/:user/permission` with GitHub's legacy `permission` and `role_name`. */
import { ok, route, type Route } from '../http.js';
import { userShape } from '../shapes.js';
import type { RepoRole } from '../state.js';
import { repoOf, urlsOf } from './common.js';

/** The legacy field folds maintain into write and triage into read. */
const LEGACY_PERMISSION: Record<RepoRole, string> = {
  admin: 'admin',
  maintain: 'write',
  write: 'write',
  triage: 'read',
  read: 'read',
  none: 'none',
};

const RANK: RepoRole[] = ['none', 'read', 'triage', 'write', 'maintain', 'admin'];

export const collaboratorRoutes: Route[] = [
  route('GET', '/repos/:owner/:repo/collaborators/:username/permission', (ctx) => {
    const repo = repoOf(ctx);
    const login = ctx.params.username;
    const user = ctx.state.user(login);
    const isOwner = login.toLowerCase() === repo.owner.toLowerCase() && user.type === 'User';
    // without a role: the owner administers, anyone may read a public repository
    const role: RepoRole = repo.roles.get(login.toLowerCase()) ?? (isOwner ? 'admin' : repo.private ? 'none' : 'read');
    const rank = RANK.indexOf(role);
    return ok({
      permission: LEGACY_PERMISSION[role],
      role_name: role,
      user: {
        ...userShape(urlsOf(ctx), user),
        permissions: {
          admin: rank >= RANK.indexOf('admin'),
          maintain: rank >= RANK.indexOf('maintain'),
          push: rank >= RANK.indexOf('write'),
          triage: rank >= RANK.indexOf('triage'),
          pull: rank >= RANK.indexOf('read'),
        },
        role_name: role,
      },
    });
  }),
];
