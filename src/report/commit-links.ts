/** The rollout's commits as links, and which of them belong to the current attempt. */
import type { CommitKind, CommitRecord } from '../rollout/types.js';
import { formatOffset } from './time-format.js';

export interface CommitLink {
  kind: CommitKind;
  /** `weight 10%`, `promotion`, `rollback`. */
  label: string;
  weight: number;
  /** 1-based step number for weight commits. */
  step?: number;
  /** Absent when the change was already in place and nothing was committed. */
  sha?: string;
  shortSha?: string;
  url?: string;
  at: number;
  /** Offset from the rollout start, e.g. `+2m`. */
  since: string;
}

export function commitLink(record: CommitRecord, commitUrl: (sha: string) => string, origin: number): CommitLink {
  const label = record.kind === 'weight' ? `weight ${record.weight}%` : record.kind === 'promote' ? 'promotion' : 'rollback';
  const link: CommitLink = { kind: record.kind, label, weight: record.weight, at: record.at, since: formatOffset(record.at, origin) };
  if (record.step !== null) link.step = record.step + 1;
  if (record.sha) {
    link.sha = record.sha;
    link.shortSha = record.sha.slice(0, 7);
    link.url = commitUrl(record.sha);
  }
  return link;
}

/**
 * The commits of the current attempt. A rollback ends an attempt and `/retry` starts the next one
 * from step 1, so weight commits from before an earlier rollback no longer describe the steps.
 * A rollback made for the current failure (at or after `failureAt`) still belongs to this attempt.
 */
export function currentAttempt<T extends { kind: CommitKind; at: number }>(commits: readonly T[], failureAt?: number): T[] {
  let start = 0;
  commits.forEach((commit, index) => {
    const forCurrentFailure = failureAt !== undefined && commit.at >= failureAt;
    if (commit.kind === 'rollback' && !forCurrentFailure) start = index + 1;
  });
  return commits.slice(start);
}
