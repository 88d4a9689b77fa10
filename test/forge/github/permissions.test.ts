import { describe, expect, it } from '@jest/globals';
import { GITHUB_ERROR_CODES } from '../../../src/forge/github/errors.js';
import { canWrite } from '../../../src/forge/forge.js';
import { getRepoPermission, type PermissionOctokit, type RepoRole } from '../../../src/forge/github/permissions.js';
import { fullName, owner, repo, useFixture } from './fixture.js';

describe('repository permissions', () => {
  const fixture = useFixture();

  it('tells all six roles apart, maintain and triage included', async () => {
    const { gh, octokit } = fixture;
    const roles: RepoRole[] = ['admin', 'maintain', 'write', 'triage', 'read', 'none'];
    for (const role of roles) gh.setPermission(fullName, `${role}-user`, role);
    const seen: Record<string, [RepoRole, boolean]> = {};
    for (const role of roles) {
      const found = await getRepoPermission(octokit, { owner, repo, username: `${role}-user` });
      seen[role] = [found, canWrite(found)];
    }
    expect(seen).toEqual({
      admin: ['admin', true],
      maintain: ['maintain', true],
      write: ['write', true],
      triage: ['triage', false],
      read: ['read', false],
      none: ['none', false],
    });
  });

  it('treats an unknown user as none and reports other failures as typed errors', async () => {
    const { gh, octokit } = fixture;
    gh.failNext({ method: 'GET', path: '/repos/acme/manifests/collaborators/ghost/permission', status: 404, message: 'Not Found' });
    await expect(getRepoPermission(octokit, { owner, repo, username: 'ghost' })).resolves.toBe('none');
    gh.failNext({ method: 'GET', path: '/repos/acme/manifests/collaborators/bob/permission', status: 500, message: 'Server Error' });
    await expect(getRepoPermission(octokit, { owner, repo, username: 'bob' })).rejects.toMatchObject({
      code: GITHUB_ERROR_CODES.REQUEST_FAILED,
      status: 500,
    });
  });

  it('falls back to the legacy permission for a custom role', async () => {
    const customRole: PermissionOctokit = {
      rest: {
        repos: {
          getCollaboratorPermissionLevel: async () => ({ data: { permission: 'write', role_name: 'release-manager' } }),
        },
      },
    };
    await expect(getRepoPermission(customRole, { owner, repo, username: 'carol' })).resolves.toBe('write');
  });
});
