/** Shared by the manifest and traffic tests: fixtures, the lines a diff changes, the error an action throws. */
import { readFileSync } from 'node:fs';
import { structuredPatch } from 'diff';
import { ManifestError } from '../../src/manifests/errors.js';

export function manifestFixture(name: string): string {
  return readFileSync(new URL(`../fixtures/manifests/${name}`, import.meta.url), 'utf8');
}

/** The removed and added lines of the diff between two texts, in diff order. */
export function changedLines(before: string, after: string): string[] {
  const patch = structuredPatch('before', 'after', before, after, undefined, undefined, { context: 0 });
  return patch.hunks.flatMap((hunk) => hunk.lines.filter((line) => line.startsWith('-') || line.startsWith('+')));
}

export function toCrlf(text: string): string {
  return text.replace(/\r?\n/g, '\r\n');
}

/** The ManifestError that `action` throws; anything else fails the test. */
export function thrown(action: () => unknown): ManifestError<string> {
  try {
    action();
  } catch (error) {
    if (error instanceof ManifestError) return error as ManifestError<string>;
    throw error;
  }
  throw new Error('expected a ManifestError');
}
