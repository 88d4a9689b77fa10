/**
 * Links into GitHub, from a repository reference alone: pure, so views built away from any client
 * (the dashboard) link the same way as the comments.
 */
import type { ForgeLinks, RepoRef, StatusRef, ThreadRef } from '../forge.js';

export function githubLinks(serverUrl: string): ForgeLinks {
  const base = serverUrl.replace(/\/+$/, '');
  const repoUrl = (repo: Pick<RepoRef, 'owner' | 'repo'>) => `${base}/${encodeURIComponent(repo.owner)}/${encodeURIComponent(repo.repo)}`;
  return {
    commitUrl: (repo, sha) => `${repoUrl(repo)}/commit/${sha}`,
    threadUrl: (repo: RepoRef, thread: ThreadRef, status?: StatusRef) => {
      const pull = `${base}/${repo.owner}/${repo.repo}/pull/${thread.number}`;
      const commentId = status?.forge === 'github' ? status.native.commentId : undefined;
      return typeof commentId === 'number' ? `${pull}#issuecomment-${commentId}` : pull;
    },
  };
}
