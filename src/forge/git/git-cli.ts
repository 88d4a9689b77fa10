/**
 * Runs the `git` program: no shell, a bounded time per call, git's own credentials (credential
 * helpers, SSH agent), and never a prompt that would hang an unattended process.
 */
import { execFile } from 'node:child_process';
import { redactCredentials } from '../../report/redact.js';

export interface GitRunOptions {
  cwd: string;
  /** Written to git's standard input (a blob's content, a commit message). */
  input?: string;
  /** Extra environment (GIT_INDEX_FILE for a temporary index). */
  env?: Readonly<Record<string, string>>;
  /** Milliseconds before the call is killed; default 60 s (network calls), reads pass less. */
  timeoutMs?: number;
  /** Exit codes that are answers rather than failures (`merge-base --is-ancestor` answers 1). */
  okCodes?: readonly number[];
}

export interface GitResult {
  stdout: string;
  stderr: string;
  code: number;
}

export const DEFAULT_GIT_TIMEOUT_MS = 60_000;
/** Output larger than this is a mistake (manifests are small); the call fails instead of filling memory. */
const MAX_OUTPUT_BYTES = 64 * 1024 * 1024;

/** A git call failed: which command, where, and what git said. */
export class GitCommandError extends Error {
  readonly code = 'git-failed';
  constructor(
    readonly args: readonly string[],
    readonly exitCode: number | null,
    readonly stderr: string,
    readonly timedOut: boolean,
  ) {
    const said = stderr.trim().split('\n').slice(-3).join(' / ');
    // a remote URL in the arguments or in git's output may carry a token
    super(
      redactCredentials(
        timedOut
          ? `git ${args[0]} did not finish in time; check that the remote answers (and that git needs no prompt: GIT_TERMINAL_PROMPT is 0)`
          : `git ${args.join(' ')} failed (exit ${exitCode})${said ? `: ${said}` : ''}`,
      ),
    );
    this.name = 'GitCommandError';
  }
}

/** The environment git runs with: the caller's (credentials, HOME, SSH agent) without prompts or editors. */
function gitEnv(extra?: Readonly<Record<string, string>>): NodeJS.ProcessEnv {
  return {
    ...process.env,
    GIT_TERMINAL_PROMPT: '0',
    GIT_ASKPASS: process.env.GIT_ASKPASS ?? '',
    GCM_INTERACTIVE: 'never',
    GIT_EDITOR: 'true',
    LC_ALL: 'C',
    ...extra,
  };
}

export function runGit(args: readonly string[], options: GitRunOptions): Promise<GitResult> {
  const okCodes = options.okCodes ?? [];
  return new Promise((resolve, reject) => {
    const child = execFile(
      'git',
      args,
      {
        cwd: options.cwd,
        env: gitEnv(options.env),
        timeout: options.timeoutMs ?? DEFAULT_GIT_TIMEOUT_MS,
        killSignal: 'SIGKILL',
        maxBuffer: MAX_OUTPUT_BYTES,
        encoding: 'utf8',
        windowsHide: true,
      },
      (error, stdout, stderr) => {
        if (!error) return resolve({ stdout, stderr, code: 0 });
        const code = typeof (error as { code?: unknown }).code === 'number' ? ((error as { code: number }).code) : null;
        if (code !== null && okCodes.includes(code)) return resolve({ stdout, stderr, code });
        const timedOut = (error as { killed?: boolean }).killed === true && code === null;
        reject(new GitCommandError(args, code, stderr || error.message, timedOut));
      },
    );
    if (options.input !== undefined) child.stdin?.end(options.input);
    else child.stdin?.end();
  });
}
