import { describe, it, expect } from '@jest/globals';
import { basicAuthSecrets, redactCredentials, redactSecrets } from '../../src/report/redact.js';

describe('redactCredentials', () => {
  it('hides URL user info, bearer and basic credentials, Authorization values and secret query parameters', () => {
    const basic = Buffer.from('admin:hunter22').toString('base64');
    const text = [
      'http://admin:hunter22@prom:9090/api',
      'got Bearer tok-abc.def_123; expected another',
      `Authorization: Basic ${basic}`,
      '{"authorization":"Token xyz-987"}',
      'http://prom/api?query=up&access_token=qwerty123&x=1',
    ].join('\n');
    const out = redactCredentials(text);
    for (const secret of ['hunter22', 'tok-abc', basic, 'xyz-987', 'qwerty123']) expect(out).not.toContain(secret);
    expect(out).toContain('http://***@prom:9090/api');
    expect(out).toContain('got Bearer [redacted]; expected another');
    expect(out).toContain('Authorization: Basic [redacted]');
    expect(out).toContain('"authorization":"[redacted]"');
    expect(out).toContain('access_token=[redacted]&x=1');
  });

  it('keeps ordinary words readable', () => {
    expect(redactCredentials('Basic auth failed: authorization required')).toBe('Basic auth failed: authorization required');
  });
});

describe('redactSecrets', () => {
  it('hides configured values as written, URL-encoded and as a basic credential', () => {
    const secrets = ['k3y/with+plus', ...basicAuthSecrets({ username: 'u', password: 'p4ssword' })];
    const out = redactSecrets(`key k3y/with+plus, encoded k3y%2Fwith%2Bplus, password p4ssword, header ${Buffer.from('u:p4ssword').toString('base64')}`, secrets);
    expect(out).toBe('key [redacted], encoded [redacted], password [redacted], header [redacted]');
  });

  it('ignores values too short to search for', () => {
    expect(redactSecrets('a 1 in a b', ['1', 'a'])).toBe('a 1 in a b');
  });
});
