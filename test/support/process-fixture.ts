/**
 * For tests that run the app as a process on a real clock: the fixture repository with short
 * durations, and the rollouts as the process stored them on disk.
 */
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import type { StoredRollout } from '../../src/state/store.js';
import { fixtureFiles } from './app-harness.js';

/** The fixture repository with durations short enough for a real clock: 1 s sync, two 1 s measurements. */
export async function fastFixture(prometheusUrl: string): Promise<Record<string, string>> {
  const files = await fixtureFiles();
  files['.github/opsbox.yml'] = replaceOnce(
    replaceOnce(files['.github/opsbox.yml'], 'http://127.0.0.1:9090', prometheusUrl),
    'delay: 30s',
    'delay: 1s',
  );
  files['analysis/error-rate.yaml'] = replaceOnce(replaceOnce(files['analysis/error-rate.yaml'], 'interval: 1m', 'interval: 1s'), 'count: 3', 'count: 2');
  return files;
}

export function replaceOnce(text: string, from: string, to: string): string {
  if (!text.includes(from)) throw new Error(`the fixture no longer contains "${from}"`);
  return text.replace(from, to);
}

/** Every rollout the app stored in `dataDir`, read from its files. */
export async function storedRollouts(dataDir: string): Promise<StoredRollout['state'][]> {
  const dir = path.join(dataDir, 'rollouts');
  const names = (await readdir(dir).catch(() => [] as string[])).filter((name) => name.endsWith('.json'));
  return Promise.all(names.map(async (name) => (JSON.parse(await readFile(path.join(dir, name), 'utf8')) as StoredRollout).state));
}
