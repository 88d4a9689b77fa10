/** File-level differences between two trees, with GitHub-style `patch` hunks. */
import { structuredPatch } from 'diff';
import type { ObjectStore } from './git-objects.js';

export interface FileDiff {
  path: string;
  status: 'added' | 'removed' | 'modified';
  /** Blob sha of the new side (the old side for a removal). */
  sha: string;
  additions: number;
  deletions: number;
  /** Hunks only (`@@ … @@` onwards), as GitHub's `files[].patch`; absent for binary files. */
  patch?: string;
  before: string | null;
  after: string | null;
}

function isBinary(content: Buffer): boolean {
  return content.subarray(0, 8000).includes(0);
}

function hunks(before: string, after: string): { patch: string; additions: number; deletions: number } {
  const structured = structuredPatch('a', 'b', before, after, '', '', { context: 3 });
  let additions = 0;
  let deletions = 0;
  const lines: string[] = [];
  for (const hunk of structured.hunks) {
    lines.push(`@@ -${hunk.oldStart},${hunk.oldLines} +${hunk.newStart},${hunk.newLines} @@`);
    for (const line of hunk.lines) {
      if (line.startsWith('+')) additions += 1;
      else if (line.startsWith('-')) deletions += 1;
      lines.push(line);
    }
  }
  return { patch: lines.join('\n'), additions, deletions };
}

/** Changes from `baseTree` to `headTree` (either may be null for "nothing"), sorted by path. */
export function diffTrees(objects: ObjectStore, baseTree: string | null, headTree: string | null): FileDiff[] {
  const before = baseTree ? objects.flatten(baseTree) : new Map();
  const after = headTree ? objects.flatten(headTree) : new Map();
  const paths = [...new Set([...before.keys(), ...after.keys()])].sort();
  const diffs: FileDiff[] = [];
  for (const path of paths) {
    const old = before.get(path);
    const next = after.get(path);
    if (old && next && old.sha === next.sha && old.mode === next.mode) continue;
    const oldContent = old?.type === 'blob' ? (objects.getBlob(old.sha) ?? Buffer.alloc(0)) : null;
    const newContent = next?.type === 'blob' ? (objects.getBlob(next.sha) ?? Buffer.alloc(0)) : null;
    const binary = (oldContent && isBinary(oldContent)) || (newContent && isBinary(newContent));
    const oldText = oldContent ? oldContent.toString('utf8') : null;
    const newText = newContent ? newContent.toString('utf8') : null;
    const counted = binary ? { additions: 0, deletions: 0, patch: undefined } : hunks(oldText ?? '', newText ?? '');
    diffs.push({
      path,
      status: !old ? 'added' : !next ? 'removed' : 'modified',
      sha: (next ?? old)!.sha,
      additions: counted.additions,
      deletions: counted.deletions,
      patch: counted.patch,
      before: oldText,
      after: newText,
    });
  }
  return diffs;
}

/** A whole-file unified diff with `---`/`+++` headers, for people reading a test failure. */
export function unifiedDiff(file: FileDiff): string {
  const from = file.status === 'added' ? '/dev/null' : `a/${file.path}`;
  const to = file.status === 'removed' ? '/dev/null' : `b/${file.path}`;
  if (file.patch === undefined) return `--- ${from}\n+++ ${to}\nBinary files differ`;
  return `--- ${from}\n+++ ${to}\n${file.patch}`;
}
