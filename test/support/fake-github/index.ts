/** A stateful fake GitHub API server for tests (see fake-github.ts). */
export { FakeGitHub, startFakeGitHub } from './fake-github.js';
export type {
  FailureRule,
  FakeGitHubOptions,
  LogEntry,
  OpenPullRequestInput,
  RecordedRequest,
  RefUpdateEvent,
  RefUpdateHook,
  RepoRole,
} from './fake-github.js';
