/** Request paths as endpoint templates, so requests to different shas, numbers and files count together. */

const TEMPLATES: Array<[RegExp, string]> = [
  [/^\/repos\/[^/]+\/[^/]+\/contents\/.+$/, '/repos/{owner}/{repo}/contents/{path}'],
  [/^\/repos\/[^/]+\/[^/]+\/git\/(ref|refs)\/heads\/.+$/, '/repos/{owner}/{repo}/git/$1/heads/{branch}'],
  [/^\/repos\/[^/]+\/[^/]+\/git\/(commits|trees|blobs)\/[0-9a-f]{40}$/, '/repos/{owner}/{repo}/git/$1/{sha}'],
  [/^\/repos\/[^/]+\/[^/]+\/commits\/[^/]+\/(check-runs|statuses|status)$/, '/repos/{owner}/{repo}/commits/{ref}/$1'],
  [/^\/repos\/[^/]+\/[^/]+\/commits\/[^/]+$/, '/repos/{owner}/{repo}/commits/{ref}'],
  [/^\/repos\/[^/]+\/[^/]+\/issues\/comments\/\d+\/reactions$/, '/repos/{owner}/{repo}/issues/comments/{id}/reactions'],
  [/^\/repos\/[^/]+\/[^/]+\/issues\/comments\/\d+$/, '/repos/{owner}/{repo}/issues/comments/{id}'],
  [/^\/repos\/[^/]+\/[^/]+\/issues\/\d+\/comments$/, '/repos/{owner}/{repo}/issues/{number}/comments'],
  [/^\/repos\/[^/]+\/[^/]+\/check-runs\/\d+$/, '/repos/{owner}/{repo}/check-runs/{id}'],
  [/^\/repos\/[^/]+\/[^/]+\/pulls\/\d+$/, '/repos/{owner}/{repo}/pulls/{number}'],
  [/^\/app\/installations\/\d+\/access_tokens$/, '/app/installations/{id}/access_tokens'],
  [/^\/repos\/[^/]+\/[^/]+\/(.+)$/, '/repos/{owner}/{repo}/$1'],
];

export function endpointOf(method: string, path: string): string {
  for (const [pattern, template] of TEMPLATES) {
    if (pattern.test(path)) return `${method} ${path.replace(pattern, template)}`;
  }
  return `${method} ${path}`;
}
