/**
 * The part of Kubernetes JSONPath that web metrics use: `{$.data.ok}`, `{.items[0].value}`,
 * `{$['a-b'][-1]}`. The surrounding braces are optional; `$` (or nothing) is the whole document.
 * Filters, wildcards, slices and recursive descent are refused when the template is checked, so a
 * path never silently means something else than it would in Argo Rollouts.
 */

export type JsonPathStep = { readonly field: string } | { readonly index: number };

export class JsonPathError extends Error {}

/** Parses a path into steps, or throws JsonPathError saying what is not supported. */
export function parseJsonPath(path: string): JsonPathStep[] {
  let text = path.trim();
  if (text.startsWith('{')) {
    if (!text.endsWith('}')) throw new JsonPathError(`${JSON.stringify(path)} opens { but does not close it`);
    text = text.slice(1, -1).trim();
  }
  if (text.startsWith('$')) text = text.slice(1);
  const steps: JsonPathStep[] = [];
  let rest = text;
  // Bounded: every round consumes at least one character.
  while (rest.length > 0) {
    const dotted = /^\.([A-Za-z_][A-Za-z0-9_-]*)/.exec(rest);
    const quoted = /^\[\s*(?:'([^']*)'|"([^"]*)")\s*\]/.exec(rest);
    const indexed = /^\[\s*(-?\d+)\s*\]/.exec(rest);
    if (dotted) steps.push({ field: dotted[1] });
    else if (quoted) steps.push({ field: quoted[1] ?? quoted[2] });
    else if (indexed) steps.push({ index: Number(indexed[1]) });
    else {
      throw new JsonPathError(
        `${JSON.stringify(path)} is not supported at ${JSON.stringify(rest.slice(0, 20))}; write field names and array indexes, like {$.data.items[0].ok}`,
      );
    }
    rest = rest.slice((dotted ?? quoted ?? indexed)![0].length);
  }
  return steps;
}

/** The value at the path, or `{ found: false }` when the document has nothing there. */
export function findJsonPath(document: unknown, steps: readonly JsonPathStep[]): { found: true; value: unknown } | { found: false } {
  let current = document;
  for (const step of steps) {
    if ('index' in step) {
      if (!Array.isArray(current)) return { found: false };
      const index = step.index < 0 ? current.length + step.index : step.index;
      if (index < 0 || index >= current.length) return { found: false };
      current = current[index];
    } else {
      if (current === null || typeof current !== 'object' || Array.isArray(current) || !Object.hasOwn(current, step.field)) return { found: false };
      current = (current as Record<string, unknown>)[step.field];
    }
  }
  return { found: true, value: current };
}
