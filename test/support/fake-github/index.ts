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

/** A logger for Octokit clients in tests: failed requests are expected there and need not be printed. */
export const silentLog = {
  debug: (): void => undefined,
  info: (): void => undefined,
  warn: (): void => undefined,
  error: (): void => undefined,
};
