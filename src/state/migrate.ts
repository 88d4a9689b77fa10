/**
 * Saved rollouts in older shapes, brought to today's on read. Until the forge port, a rollout
 * named GitHub's objects directly: `repo.installationId`, `statusCommentId`, `checkRunId`,
 * `failureCommentId`, `statusDigest`, `revertPr`, and the effects `openRevertPr`, `closeRevertPr`
 * and `report`. They become the neutral `repo` (GitHub's ids in its `native` part), `statusRef`,
 * `revert` and the effects `proposeRevert`, `withdrawRevert` and `publishStatus`. A state already
 * in today's shape comes back unchanged, so migrating twice is harmless. Work claimed before the
 * change (a merge to start, a command to run) is migrated the same way by `migrateWork`.
 */
import type { RepoRef, RevertRef, StatusRef } from '../forge/forge.js';
import { revertBranch } from '../rollout/messages.js';
import type { RolloutState } from '../rollout/types.js';
import type { StoredRollout } from './store.js';

type Json = Record<string, unknown>;

/** A stored rollout (`{ state, version }`) with its state in today's shape. */
export function migrateStored(raw: unknown): StoredRollout {
  const stored = raw as { state: unknown; version: number };
  return { state: migrateState(stored.state), version: stored.version };
}

/** A rollout state as read from disk, in today's shape. */
export function migrateState(raw: unknown): RolloutState {
  const state = { ...(raw as Json) };
  state.repo = migrateRepo(state.repo);

  const { statusCommentId, checkRunId, failureCommentId, statusDigest } = state;
  if (statusCommentId !== undefined || checkRunId !== undefined || failureCommentId !== undefined || statusDigest !== undefined) {
    // Without both ids, the next update looks for the objects by their markers, as after a crash.
    if (typeof statusCommentId === 'number' && typeof checkRunId === 'number' && state.statusRef === undefined) {
      state.statusRef = githubStatusRef(statusCommentId, checkRunId, failureCommentId, statusDigest, state.failure);
    }
    delete state.statusCommentId;
    delete state.checkRunId;
    delete state.failureCommentId;
    delete state.statusDigest;
  }

  if ('revertPr' in state) {
    const pr = state.revertPr as { number: number; url: string } | undefined;
    if (pr && state.revert === undefined) state.revert = githubRevert(pr, state);
    delete state.revertPr;
  }

  if (Array.isArray(state.outbox)) state.outbox = state.outbox.map((effect) => migrateEffect(effect as Json, state));
  return state as unknown as RolloutState;
}

/**
 * Claimed work in an older shape: a merge (`{ repo: { installationId, … }, … }`) or a command
 * (`{ installationId, owner, repo, … }`), both naming GitHub's installation directly.
 */
export function migrateWork(key: string, raw: unknown): unknown {
  if (typeof raw !== 'object' || raw === null) return raw;
  const work = { ...(raw as Json) };
  if (key.startsWith('merge:')) {
    work.repo = migrateRepo(work.repo);
  } else if (key.startsWith('comment:') && typeof work.installationId === 'number') {
    const { installationId, owner, repo } = work as { installationId: number; owner: string; repo: string };
    // the default branch is not known here, and running a command does not need it
    work.repo = migrateRepo({ installationId, owner, repo, defaultBranch: '' });
    delete work.installationId;
    delete work.owner;
  }
  return work;
}

function migrateRepo(raw: unknown): RepoRef {
  const repo = raw as Json;
  if (typeof repo.forge === 'string') return repo as unknown as RepoRef;
  const { installationId, owner, repo: name, defaultBranch } = repo as { installationId: number; owner: string; repo: string; defaultBranch: string };
  return { forge: 'github', key: `${owner}/${name}`, owner, repo: name, defaultBranch, native: { installationId } };
}

function githubStatusRef(commentId: number, checkRunId: number, failureCommentId: unknown, digest: unknown, failure: unknown): StatusRef {
  const digests = (digest ?? {}) as { comment?: string; checkRun?: string; failure?: string };
  const native: Record<string, string | number> = { commentId, checkRunId };
  if (digests.comment !== undefined) native.commentDigest = digests.comment;
  if (digests.checkRun !== undefined) native.checkRunDigest = digests.checkRun;
  const ref: StatusRef = { forge: 'github', native };
  if (typeof failureCommentId === 'number') {
    // Then the comment belonged to the current failure: a /retry forgot it.
    native.failureCommentId = failureCommentId;
    if (digests.failure !== undefined) native.failureDigest = digests.failure;
    ref.failureNoticeAt = (failure as { at?: number } | undefined)?.at ?? 0;
  }
  return ref;
}

function githubRevert(pr: { number: number; url: string }, state: Json): RevertRef {
  return { branch: revertBranch({ service: String(state.service), to: String(state.to ?? '') }), url: pr.url, label: `#${pr.number}`, thread: { number: pr.number }, native: { number: pr.number } };
}

function migrateEffect(effect: Json, state: Json): Json {
  switch (effect.type) {
    case 'openRevertPr':
      return { ...effect, type: 'proposeRevert' };
    case 'closeRevertPr': {
      const { number, ...rest } = effect as Json & { number: number };
      const known = state.revert as RevertRef | undefined;
      // The pull request to close is the one named; the url is only for people.
      const revert = known?.thread?.number === number ? known : githubRevert({ number, url: '' }, state);
      return { ...rest, type: 'withdrawRevert', revert };
    }
    case 'report':
      return { ...effect, type: 'publishStatus' };
    default:
      return effect;
  }
}
