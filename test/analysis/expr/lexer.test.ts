import { describe, expect, it } from '@jest/globals';
import { ExprSyntaxError } from '../../../src/analysis/expr/errors.js';
import { tokenize, type Token } from '../../../src/analysis/expr/lexer.js';
import { thrownBy } from '../support.js';

const kindsAndValues = (source: string): string[] =>
  tokenize(source).map((token: Token) => (token.kind === 'eof' ? 'eof' : `${token.kind}:${token.value}`));

const syntaxError = (source: string): ExprSyntaxError => thrownBy(ExprSyntaxError, () => tokenize(source));

describe('tokenize', () => {
  it('reads symbol operators longest first', () => {
    expect(kindsAndValues('a**b^c..d<=e>=f==g!=h&&i||j??k')).toEqual([
      'identifier:a', 'operator:**', 'identifier:b', 'operator:^', 'identifier:c', 'operator:..', 'identifier:d',
      'operator:<=', 'identifier:e', 'operator:>=', 'identifier:f', 'operator:==', 'identifier:g', 'operator:!=',
      'identifier:h', 'operator:&&', 'identifier:i', 'operator:||', 'identifier:j', 'operator:??', 'identifier:k', 'eof',
    ]);
    expect(kindsAndValues('(+-*/%<>!?:,.#)[]{}')).toEqual([
      '(', '+', '-', '*', '/', '%', '<', '>', '!', '?', ':', ',', '.', '#', ')', '[', ']', '{', '}',
    ].map((symbol) => `operator:${symbol}`).concat('eof'));
  });

  it('treats word operators as operators and other words as identifiers', () => {
    expect(kindsAndValues('and or not in contains startsWith endsWith matches')).toEqual([
      'operator:and', 'operator:or', 'operator:not', 'operator:in', 'operator:contains', 'operator:startsWith',
      'operator:endsWith', 'operator:matches', 'eof',
    ]);
    expect(kindsAndValues('notable index_1 $env true nil')).toEqual([
      'identifier:notable', 'identifier:index_1', 'identifier:$env', 'identifier:true', 'identifier:nil', 'eof',
    ]);
  });

  it.each([
    ['0', 0],
    ['42', 42],
    ['1_000_000', 1_000_000],
    ['0.95', 0.95],
    ['1.', 1],
    ['1e3', 1000],
    ['2.5E-3', 0.0025],
    ['1e+2', 100],
  ])('reads the number %s', (source, value) => {
    const [token] = tokenize(source);
    expect(token).toMatchObject({ kind: 'number', number: value, start: 0, end: source.length });
  });

  it('reads 1..3 as a range, not as a decimal number', () => {
    expect(kindsAndValues('1..3')).toEqual(['number:1', 'operator:..', 'number:3', 'eof']);
    expect(kindsAndValues('0.5..2')).toEqual(['number:0.5', 'operator:..', 'number:2', 'eof']);
  });

  it('leaves "e" that starts no exponent to the next token', () => {
    expect(() => tokenize('1else')).toThrow(ExprSyntaxError);
    expect(kindsAndValues('1 e')).toEqual(['number:1', 'identifier:e', 'eof']);
  });

  it.each([
    [`'single'`, 'single'],
    [`"double"`, 'double'],
    ['`raw \\n`', 'raw \\n'],
    [`"it's"`, "it's"],
    [`'say "hi"'`, 'say "hi"'],
    [`"a\\nb\\tc\\\\d"`, 'a\nb\tc\\d'],
    [`'\\'quoted\\''`, "'quoted'"],
    [`"\\"quoted\\""`, '"quoted"'],
    [`"\\x41\\u00e9\\U0001F600"`, 'Aé😀'],
    [`"\\101"`, 'A'],
    [`"\\a\\b\\f\\r\\v"`, '\x07\b\f\r\v'],
    [`""`, ''],
  ])('reads the string %s', (source, value) => {
    const [token] = tokenize(source);
    expect(token).toMatchObject({ kind: 'string', value, start: 0, end: source.length });
  });

  it('records token offsets', () => {
    const tokens = tokenize('result[0] >= 0.95');
    expect(tokens.map((token) => [token.value, token.start, token.end])).toEqual([
      ['result', 0, 6], ['[', 6, 7], ['0', 7, 8], [']', 8, 9], ['>=', 10, 12], ['0.95', 13, 17], ['', 17, 17],
    ]);
  });

  it.each([
    ['"abc', 'unterminated string literal', 0],
    ["x == 'abc", 'unterminated string literal', 5],
    ['"line\nbreak"', 'unterminated string literal', 0],
    ['"bad \\q"', 'invalid escape sequence \\q', 5],
    ['"bad \\x4"', 'invalid escape sequence \\x4', 5],
    ['"bad \\777"', 'invalid octal escape', 5],
    ['result @ 1', 'unexpected character "@"', 7],
    ['result = 1', 'unexpected character "=" (use == to compare)', 7],
    ['a & b', 'unexpected character "&" (use &&)', 2],
    ['a | b', 'unexpected character "|" (use ||)', 2],
    ['0x1F', 'invalid number "0x1F" (only decimal numbers are supported)', 0],
    ['x > 12abc', 'invalid number "12abc"', 4],
    ['1e999', 'number 1e999 is too large', 0],
  ])('rejects %j: %s', (source, message, offset) => {
    const error = syntaxError(source);
    expect(error.message).toContain(message);
    expect(error.offset).toBe(offset);
  });
});
