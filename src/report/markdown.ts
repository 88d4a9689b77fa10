/**
 * Escaping for the GitHub-flavoured Markdown the reports are written in. Text that comes from
 * outside (metric names, queries, Prometheus messages, PR titles) goes through these before it
 * lands in a table cell, a code span or a paragraph, so it cannot break the layout.
 */

/** Characters that start Markdown or HTML constructs inside a line of text. */
const INLINE_SPECIALS = /[\\`*[\]<~]/g;
/** At the start of a line these make a quote, heading or list item. */
const LINE_START_MARKER = /^(?:[>#+-]|\d+(?=[.)]))/;
/** Underscores start emphasis only at word edges; inside `error_rate` they are literal. */
const EDGE_UNDERSCORE = /(?<![A-Za-z0-9])_|_(?![A-Za-z0-9])/g;

/** Plain text for a paragraph or list item: one line, no Markdown or HTML takes effect. */
export function inlineText(value: unknown): string {
  const escaped = oneLine(stringify(value)).replace(INLINE_SPECIALS, '\\$&').replace(EDGE_UNDERSCORE, '\\_');
  return escaped.replace(LINE_START_MARKER, (marker) => (/\d/.test(marker) ? `${marker}\\` : `\\${marker}`));
}

/** Plain text for a table cell: like inlineText, and `|` no longer ends the cell. */
export function cellText(value: unknown): string {
  return inlineText(value).replace(/\|/g, '\\|');
}

/**
 * An inline code span that shows `value` verbatim: the delimiter is one backtick longer than the
 * longest run inside, and padded when the content touches a backtick.
 */
export function codeSpan(value: unknown): string {
  const content = oneLine(stringify(value));
  if (content === '') return '';
  const fence = '`'.repeat(longestRun(content, '`') + 1);
  const pad = content.startsWith('`') || content.endsWith('`') || (content.startsWith(' ') && content.endsWith(' ')) ? ' ' : '';
  return `${fence}${pad}${content}${pad}${fence}`;
}

/** A code span inside a table cell: GitHub needs `\|` even inside code there, and strips the `\`. */
export function codeCell(value: unknown): string {
  return codeSpan(value).replace(/\|/g, '\\|');
}

/** The fence for a code block holding `value`: at least three backticks, longer than any run inside. */
export function fenceFor(value: unknown): string {
  return '`'.repeat(Math.max(3, longestRun(stringify(value), '`') + 1));
}

/** Text of a fenced code block: trailing blank lines trimmed so the fence closes right after it. */
export function blockText(value: unknown): string {
  return stringify(value).replace(/\r\n?/g, '\n').replace(/\s+$/, '');
}

/** Hidden HTML comment content cannot end the comment early. */
export function commentSafe(value: unknown): string {
  return stringify(value).replace(/--/g, '-\u200b-').replace(/>/g, '');
}

function oneLine(text: string): string {
  return text.replace(/\s*\r?\n\s*/g, ' ').trim();
}

function stringify(value: unknown): string {
  if (value === undefined || value === null) return '';
  return String(value);
}

function longestRun(text: string, char: string): number {
  let longest = 0;
  let current = 0;
  for (const c of text) {
    current = c === char ? current + 1 : 0;
    longest = Math.max(longest, current);
  }
  return longest;
}
