/**
 * Bounds on YAML read from repositories. The yaml library's own duplicate-key check compares each
 * key of a mapping with every other one: a few hundred KB of short keys then holds the event loop
 * for seconds. Files are parsed with `uniqueKeys: false` and checked here in one pass per mapping,
 * and files over a size limit are refused before they are parsed at all.
 */
import { isScalar, visit, type Document } from 'yaml';

/** The largest AnalysisTemplate or CanaryJudge file read: templates are a few KB. */
export const MAX_TEMPLATE_BYTES = 256 * 1024;

/** The largest manifest read (a Helm values file of a large chart is a few hundred KB). */
export const MAX_MANIFEST_BYTES = 1024 * 1024;

/** Keys repeated within one mapping (scalar keys; the first repeat of each). */
export function duplicateKeys(doc: Document): { key: string; offset: number }[] {
  const found: { key: string; offset: number }[] = [];
  visit(doc, {
    Map(_key, map) {
      const seen = new Set<unknown>();
      for (const pair of map.items) {
        if (!isScalar(pair.key)) continue;
        const key = pair.key.value;
        if (seen.has(key)) found.push({ key: String(key), offset: pair.key.range?.[0] ?? 0 });
        seen.add(key);
      }
    },
  });
  return found;
}

/** The message for a repeated key, the same wherever YAML is read. */
export function duplicateKeyMessage(key: string): string {
  return `the key "${key}" appears twice in the same mapping; keep one`;
}

/** A message when `text` is over `limit` bytes, naming what kind of file it is; undefined when it fits. */
export function oversize(text: string, limit: number, what: string): string | undefined {
  // Cheap first: a UTF-8 byte is at least one UTF-16 unit and at most three per unit.
  if (text.length * 3 <= limit) return undefined;
  const bytes = Buffer.byteLength(text, 'utf8');
  if (bytes <= limit) return undefined;
  return `the file is ${formatBytes(bytes)}; ${what} may be at most ${formatBytes(limit)}. Is this the right file?`;
}

export function formatBytes(bytes: number): string {
  return bytes >= 1024 * 1024 ? `${(bytes / (1024 * 1024)).toFixed(1)} MB` : `${Math.ceil(bytes / 1024)} KB`;
}
