/** Rows of the problems table that the config-problems comment and the preflight check share. */
export interface ProblemInput {
  file: string;
  key: string;
  message: string;
  line?: number;
  column?: number;
}

/** Sorted by file, line and key; `where` is `file:line:column`, `url` links there when `blobUrl` is given. */
export function problemRows<P extends ProblemInput>(problems: readonly P[], blobUrl: string | undefined) {
  return [...problems]
    .sort((a, b) => a.file.localeCompare(b.file) || (a.line ?? 0) - (b.line ?? 0) || a.key.localeCompare(b.key))
    .map((problem) => ({
      ...problem,
      // as editors and `opsbox validate` print it
      where: `${problem.file}${problem.line ? `:${problem.line}${problem.column ? `:${problem.column}` : ''}` : ''}`,
      url: blobUrl ? `${blobUrl.replace(/\/+$/, '')}/${problem.file.split('/').map(encodeURIComponent).join('/')}${problem.line ? `#L${problem.line}` : ''}` : undefined,
    }));
}
