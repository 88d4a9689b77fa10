/**
 * Tokens of the condition language (the expr-lang subset that Argo Rollouts templates use).
 *
 * Word operators (`and`, `or`, `not`, `in`, `contains`, `startsWith`, `endsWith`, `matches`) are
 * operator tokens; `true`, `false` and `nil` stay identifiers and the parser gives them meaning.
 */
import { ExprSyntaxError } from './errors.js';

export type TokenKind = 'number' | 'string' | 'identifier' | 'operator' | 'eof';

export interface Token {
  readonly kind: TokenKind;
  /** Operator or identifier text; for strings the decoded value; for numbers the literal as written. */
  readonly value: string;
  /** Numeric value of a number token. */
  readonly number?: number;
  /** Offsets in the source: [start, end). */
  readonly start: number;
  readonly end: number;
}

export const WORD_OPERATORS: ReadonlySet<string> = new Set([
  'and',
  'or',
  'not',
  'in',
  'contains',
  'startsWith',
  'endsWith',
  'matches',
]);

/** Symbol operators and punctuation, longest first so that `**` wins over `*`. */
const SYMBOLS = [
  '**', '..', '==', '!=', '<=', '>=', '&&', '||', '??',
  '+', '-', '*', '/', '%', '^', '<', '>', '!', '?', ':', ',', '.', '#',
  '(', ')', '[', ']', '{', '}',
] as const;

const isDigit = (c: string): boolean => c >= '0' && c <= '9';
const isIdentStart = (c: string): boolean => (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c === '_' || c === '$';
const isIdentPart = (c: string): boolean => isIdentStart(c) || isDigit(c);
const isSpace = (c: string): boolean => c === ' ' || c === '\t' || c === '\n' || c === '\r' || c === '\f' || c === '\v';

/** Splits the source into tokens, ending with an `eof` token. Throws ExprSyntaxError. */
export function tokenize(source: string): Token[] {
  const tokens: Token[] = [];
  let pos = 0;
  while (pos < source.length) {
    const c = source[pos];
    if (isSpace(c)) {
      pos++;
    } else if (isDigit(c)) {
      const token = readNumber(source, pos);
      tokens.push(token);
      pos = token.end;
    } else if (c === '"' || c === "'" || c === '`') {
      const token = readString(source, pos);
      tokens.push(token);
      pos = token.end;
    } else if (isIdentStart(c)) {
      let end = pos + 1;
      while (end < source.length && isIdentPart(source[end])) end++;
      const word = source.slice(pos, end);
      tokens.push({ kind: WORD_OPERATORS.has(word) ? 'operator' : 'identifier', value: word, start: pos, end });
      pos = end;
    } else {
      const symbol = SYMBOLS.find((s) => source.startsWith(s, pos));
      if (!symbol) {
        const hint = c === '=' ? ' (use == to compare)' : c === '|' || c === '&' ? ` (use ${c}${c})` : '';
        throw new ExprSyntaxError(`unexpected character ${JSON.stringify(c)}${hint}`, pos);
      }
      tokens.push({ kind: 'operator', value: symbol, start: pos, end: pos + symbol.length });
      pos += symbol.length;
    }
  }
  tokens.push({ kind: 'eof', value: '', start: source.length, end: source.length });
  return tokens;
}

/** `12`, `1_000`, `0.95`, `1.`, `1e3`, `2.5E-3`; `1..3` lexes as 1, `..`, 3. */
function readNumber(source: string, start: number): Token {
  let pos = start;
  const digits = (): void => {
    while (pos < source.length && (isDigit(source[pos]) || (source[pos] === '_' && isDigit(source[pos + 1] ?? '')))) pos++;
  };
  digits();
  if (source[pos] === '.' && source[pos + 1] !== '.' && !isIdentStart(source[pos + 1] ?? '')) {
    pos++;
    digits();
  }
  if ((source[pos] === 'e' || source[pos] === 'E') && /^[eE][+-]?\d/.test(source.slice(pos, pos + 3))) {
    pos += source[pos + 1] === '+' || source[pos + 1] === '-' ? 2 : 1;
    digits();
  }
  if (pos < source.length && isIdentPart(source[pos])) {
    let end = pos;
    while (end < source.length && isIdentPart(source[end])) end++;
    const text = source.slice(start, end);
    const hint = /^0[xXbBoO]/.test(text) ? ' (only decimal numbers are supported)' : '';
    throw new ExprSyntaxError(`invalid number ${JSON.stringify(text)}${hint}`, start);
  }
  const text = source.slice(start, pos);
  const number = Number(text.replace(/_/g, ''));
  if (!Number.isFinite(number)) throw new ExprSyntaxError(`number ${text} is too large`, start);
  return { kind: 'number', value: text, number, start, end: pos };
}

const SIMPLE_ESCAPES: Record<string, string> = {
  a: '\x07', b: '\b', f: '\f', n: '\n', r: '\r', t: '\t', v: '\v', '\\': '\\', "'": "'", '"': '"', '`': '`',
};

/** Quoted strings with Go escapes ('…' and "…"), or raw `…` strings without escapes. */
function readString(source: string, start: number): Token {
  const quote = source[start];
  let pos = start + 1;
  let value = '';
  while (pos < source.length && source[pos] !== quote) {
    const c = source[pos];
    if (c === '\\' && quote !== '`') {
      const [text, length] = readEscape(source, pos);
      value += text;
      pos += length;
    } else if (c === '\n' && quote !== '`') {
      break;
    } else {
      value += c;
      pos++;
    }
  }
  if (source[pos] !== quote) throw new ExprSyntaxError('unterminated string literal', start);
  return { kind: 'string', value, start, end: pos + 1 };
}

/** Decodes the escape sequence at `pos` (which holds the backslash): [text, length in source]. */
function readEscape(source: string, pos: number): [string, number] {
  const c = source[pos + 1] ?? '';
  if (c in SIMPLE_ESCAPES) return [SIMPLE_ESCAPES[c], 2];
  const hex = (length: number): [string, number] => {
    const digits = source.slice(pos + 2, pos + 2 + length);
    if (digits.length !== length || !/^[0-9a-fA-F]+$/.test(digits)) {
      throw new ExprSyntaxError(`invalid escape sequence \\${c}${digits}`, pos);
    }
    const code = parseInt(digits, 16);
    if (code > 0x10ffff || (code >= 0xd800 && code <= 0xdfff)) throw new ExprSyntaxError(`invalid code point \\${c}${digits}`, pos);
    return [String.fromCodePoint(code), 2 + length];
  };
  if (c === 'x') return hex(2);
  if (c === 'u') return hex(4);
  if (c === 'U') return hex(8);
  if (c >= '0' && c <= '7') {
    const digits = source.slice(pos + 1, pos + 4);
    if (!/^[0-7]{3}$/.test(digits) || parseInt(digits, 8) > 255) throw new ExprSyntaxError(`invalid octal escape \\${digits}`, pos);
    return [String.fromCharCode(parseInt(digits, 8)), 4];
  }
  throw new ExprSyntaxError(`invalid escape sequence \\${c}`, pos);
}
