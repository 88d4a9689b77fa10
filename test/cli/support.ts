/** Runs a CLI command in-process and captures what it prints (not a test file itself). */
import type { CliIO } from '../../src/cli/io.js';

export interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
}

/** `io` is the rest of the command's IO (env, and for analyze cwd, clock, signal). */
export async function runCommand<I extends CliIO>(
  command: (argv: string[], io: I) => Promise<number>,
  argv: string[],
  io: Omit<I, 'stdout' | 'stderr'>,
): Promise<CliRun> {
  let stdout = '';
  let stderr = '';
  const code = await command(argv, {
    ...io,
    stdout: { write: (text: string) => (stdout += text) },
    stderr: { write: (text: string) => (stderr += text) },
  } as I);
  return { code, stdout, stderr };
}
