import { describe, expect, it } from '@jest/globals';
import { parseComment, type ParsedComment } from '../../src/chatops/parse.js';

const cmd = (name: string, extra: { full?: boolean; service?: string } = {}) => ({ kind: 'command', name, full: extra.full ?? false, ...(extra.service ? { service: extra.service } : {}) });
const none = { kind: 'none' };
const unknown = (word: string, suggestion?: string) => ({ kind: 'unknown', word, ...(suggestion ? { suggestion } : {}) });
const invalid = (name: string) => ({ kind: 'invalid', name });

/** [comment body, expected parse] */
const TABLE: Array<[string, object]> = [
  ['/promote', cmd('promote')],
  ['/promote --full', cmd('promote', { full: true })],
  ['/promote full', cmd('promote', { full: true })],
  ['/PROMOTE --FULL', cmd('promote', { full: true })],
  ['/Promote', cmd('promote')],
  ['   /promote', cmd('promote')],
  ['/promote   ', cmd('promote')],
  ['/promote\t--full', cmd('promote', { full: true })],
  ['/promote.', cmd('promote')],
  ['/pause', cmd('pause')],
  ['/resume', cmd('resume')],
  ['/abort', cmd('abort')],
  ['/ABORT!', cmd('abort')],
  ['/retry', cmd('retry')],
  ['/status', cmd('status')],
  ['/help', cmd('help')],
  ['/preflight', cmd('preflight')],
  ['/preflght', unknown('preflght', 'preflight')],
  ['/preflight api', invalid('preflight')],
  ['/abort api', cmd('abort', { service: 'api' })],
  ['/promote --full api', cmd('promote', { full: true, service: 'api' })],
  ['/promote web full', cmd('promote', { full: true, service: 'web' })],
  ['/abort\nthe error rate doubled, see the dashboard', cmd('abort')],
  ['\n\n  /resume\r\nthanks', cmd('resume')],
  ['/pause\r\n', cmd('pause')],
  ['Looks good.\n/promote', none],
  ['please /promote', none],
  ['```\n/abort\n```', none],
  ['~~~\n/abort\n~~~', none],
  ['    /abort', none],
  ['\t/abort', none],
  ['> /abort', none],
  ['>/promote --full', none],
  ['`/abort`', none],
  ['<!-- /abort -->', none],
  ['', none],
  ['   \n\n  ', none],
  ['/ promote', none],
  ['/etc/hosts is wrong', none],
  ['//abort', none],
  ['/promte', unknown('promte', 'promote')],
  ['/abrot', unknown('abrot', 'abort')],
  ['/stauts', unknown('stauts', 'status')],
  ['/prom', unknown('prom', 'promote')],
  ['/deploy', unknown('deploy')],
  ['/LGTM', unknown('lgtm')],
  ['/promote --fast', invalid('promote')],
  ['/abort --force', invalid('abort')],
  ['/help me', invalid('help')],
  ['/pause api web', invalid('pause')],
  ['/retry Now!', invalid('retry')],
];

describe('parseComment', () => {
  it('has a table of at least 30 bodies', () => {
    expect(TABLE.length).toBeGreaterThanOrEqual(30);
  });

  it.each(TABLE)('%j', (body, expected) => {
    expect(parseComment(body)).toMatchObject(expected);
  });

  it('does not invent a service or a suggestion', () => {
    const parsed = parseComment('/deploy') as Extract<ParsedComment, { kind: 'unknown' }>;
    expect(parsed.suggestion).toBeUndefined();
    const plain = parseComment('/promote') as Extract<ParsedComment, { kind: 'command' }>;
    expect(plain.service).toBeUndefined();
    expect(plain.full).toBe(false);
  });

  it('explains what is wrong with the arguments', () => {
    expect(parseComment('/promote --fast')).toMatchObject({ problem: 'unknown option `--fast`: /promote takes `--full`' });
    expect(parseComment('/abort --force')).toMatchObject({ problem: 'unknown option `--force`: /abort takes no options' });
    expect(parseComment('/pause api web')).toMatchObject({ problem: expect.stringContaining('unexpected `web`') });
  });

  it('reads only the start of a huge comment', () => {
    expect(parseComment(`${'x'.repeat(20_000)}\n/abort`)).toEqual({ kind: 'none' });
    expect(parseComment(`/abort\n${'x'.repeat(20_000)}`)).toMatchObject(cmd('abort'));
  });

  it('takes null bodies as no command', () => {
    expect(parseComment(null)).toEqual({ kind: 'none' });
  });
});
