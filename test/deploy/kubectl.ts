/**
 * `kubectl kustomize` for the deploy tests. kubectl is needed: a test that renders says so, and
 * under CI (CI=true) a missing kubectl fails the test instead of skipping it.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { parseAllDocuments } from 'yaml';

const run = promisify(execFile);

export async function kubectlAvailable(): Promise<boolean> {
  try {
    await run('kubectl', ['version', '--client'], { timeout: 30_000 });
    return true;
  } catch {
    return false;
  }
}

export { inCi } from '../support/required-tool.js';

/** Every object `kubectl kustomize dir` renders. */
export async function kustomize(dir: string): Promise<Record<string, any>[]> {
  const { stdout } = await run('kubectl', ['kustomize', dir], { timeout: 60_000, maxBuffer: 16 * 1024 * 1024 });
  return parseAllDocuments(stdout)
    .map((doc) => doc.toJS() as Record<string, any> | null)
    .filter((object): object is Record<string, any> => object !== null);
}
