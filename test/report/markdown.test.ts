import { describe, expect, it } from '@jest/globals';
import { blockText, cellText, codeCell, codeSpan, commentSafe, fenceFor, inlineText } from '../../src/report/markdown.js';

describe('inlineText', () => {
  it('keeps HTML from taking effect', () => {
    expect(inlineText('unexpected <EOF> in <script>')).toBe('unexpected \\<EOF> in \\<script>');
  });

  it('escapes emphasis, links and code, but not underscores inside words', () => {
    expect(inlineText('rate*2 [x](y) `q` http_requests_total _lead')).toBe('rate\\*2 \\[x\\](y) \\`q\\` http_requests_total \\_lead');
  });

  it('joins lines, so a message cannot start a new block', () => {
    expect(inlineText('first\n\n# heading\n> quote')).toBe('first # heading > quote');
  });

  it('escapes markers that would make a heading, quote or list at the start', () => {
    expect(inlineText('# not a heading')).toBe('\\# not a heading');
    expect(inlineText('> not a quote')).toBe('\\> not a quote');
    expect(inlineText('- not a list')).toBe('\\- not a list');
    expect(inlineText('1. not a list')).toBe('1\\. not a list');
  });

  it('renders nothing for a missing value', () => {
    expect(inlineText(undefined)).toBe('');
  });
});

describe('cellText', () => {
  it('escapes pipes so a cell stays one cell', () => {
    expect(cellText('parse error near | at 4')).toBe('parse error near \\| at 4');
  });
});

describe('codeSpan', () => {
  it('wraps plain text in single backticks', () => {
    expect(codeSpan('result[0] < 0.05')).toBe('`result[0] < 0.05`');
  });

  it('uses a longer delimiter than any backtick run inside', () => {
    expect(codeSpan('a `b` c')).toBe('``a `b` c``');
    expect(codeSpan('x ``y`` z')).toBe('```x ``y`` z```');
  });

  it('pads content that starts or ends with a backtick', () => {
    expect(codeSpan('`edge')).toBe('`` `edge ``');
  });

  it('is empty for empty text rather than an empty code span', () => {
    expect(codeSpan('')).toBe('');
  });
});

describe('codeCell', () => {
  it('escapes pipes inside the code span, as GitHub tables need', () => {
    expect(codeCell('a || b')).toBe('`a \\|\\| b`');
  });
});

describe('fenceFor and blockText', () => {
  it('uses three backticks, or more than the longest run in the content', () => {
    expect(fenceFor('sum(rate(x[1m]))')).toBe('```');
    expect(fenceFor('a ```` b')).toBe('`````');
  });

  it('keeps the lines of a block and trims its trailing blank lines', () => {
    expect(blockText('sum(\n  rate(x[1m])\n)\n\n')).toBe('sum(\n  rate(x[1m])\n)');
  });
});

describe('commentSafe', () => {
  it('cannot close the HTML comment it sits in', () => {
    expect(commentSafe('id-->x')).not.toContain('-->');
  });
});
