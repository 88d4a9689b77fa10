/**
 * Dotted YAML paths as users write them in `.github/opsbox.yml`: `image.tag`, `api.image`,
 * `spec.images[0]`, and bracketed keys for keys with dots, `metadata.annotations["a.b/c"]`.
 */

export type PathSegment = string | number;
export type YamlPath = readonly PathSegment[];

export class PathSyntaxError extends Error {
  constructor(
    readonly path: string,
    readonly reason: string,
  ) {
    super(`invalid path "${path}": ${reason}; write keys separated by dots with [n] for list items, e.g. image.tag or spec.images[0].newTag`);
    this.name = 'PathSyntaxError';
  }
}

const KEY_STOP = new Set(['.', '[', ']']);

export function parsePath(text: string): PathSegment[] {
  const segments: PathSegment[] = [];
  let position = 0;

  const readKey = (): void => {
    const start = position;
    while (position < text.length && !KEY_STOP.has(text[position])) position++;
    const key = text.slice(start, position).trim();
    if (!key) throw new PathSyntaxError(text, `empty key at character ${start + 1}`);
    segments.push(key);
  };

  const readBracket = (): void => {
    position++; // '['
    const quote = text[position];
    if (quote === '"' || quote === "'") {
      const close = text.indexOf(quote, position + 1);
      if (close < 0) throw new PathSyntaxError(text, `unclosed ${quote}`);
      segments.push(text.slice(position + 1, close));
      position = close + 1;
    } else {
      const match = /^\d+/.exec(text.slice(position));
      if (!match) throw new PathSyntaxError(text, `expected a list index or a quoted key after "[" at character ${position}`);
      segments.push(Number(match[0]));
      position += match[0].length;
    }
    if (text[position] !== ']') throw new PathSyntaxError(text, `expected "]" at character ${position + 1}`);
    position++;
  };

  if (!text.trim()) throw new PathSyntaxError(text, 'the path is empty');
  if (text[0] === '[') readBracket();
  else readKey();
  while (position < text.length) {
    if (text[position] === '.') {
      position++;
      readKey();
    } else if (text[position] === '[') {
      readBracket();
    } else {
      throw new PathSyntaxError(text, `unexpected "${text[position]}" at character ${position + 1}`);
    }
  }
  return segments;
}

const SIMPLE_KEY = /^[^.[\]"'\s]+$/;

/** The inverse of parsePath: `spec.template.spec.containers[0].image`. */
export function formatPath(path: YamlPath): string {
  let text = '';
  for (const segment of path) {
    if (typeof segment === 'number') text += `[${segment}]`;
    else if (SIMPLE_KEY.test(segment)) text += text ? `.${segment}` : segment;
    else text += `[${JSON.stringify(segment)}]`;
  }
  return text;
}
