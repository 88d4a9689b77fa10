import { describe, expect, it } from '@jest/globals';
import { closestWord, editDistance } from '../../src/util/closest-word.js';

describe('did you mean', () => {
  it('measures edits, counting a swap of neighbours once', () => {
    expect(editDistance('abort', 'abort')).toBe(0);
    expect(editDistance('abrot', 'abort')).toBe(1);
    expect(editDistance('promte', 'promote')).toBe(1);
    expect(editDistance('kitten', 'sitting')).toBe(3);
  });

  it('suggests only a clear nearest name', () => {
    expect(closestWord('resme', ['resume', 'retry'])).toBe('resume');
    expect(closestWord('xyz', ['resume', 'retry'])).toBeUndefined();
    // equally near two names: no guess
    expect(closestWord('ab', ['ac', 'ad'])).toBeUndefined();
  });
});
