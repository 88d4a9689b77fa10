import { describe, it, expect } from '@jest/globals';
import { allowlistFromEnv, createAllowlist, displayAddress, isAddressAllowed, notAllowedMessage } from '../../src/analysis/allowlist.js';

describe('isAddressAllowed', () => {
  const allowlist = createAllowlist(['http://prom:9090/', 'https://metrics.example.com/prometheus']);

  it('allows addresses under an allowed prefix, trailing slashes normalized', () => {
    expect(isAddressAllowed('http://prom:9090', allowlist)).toBe(true);
    expect(isAddressAllowed('http://prom:9090/', allowlist)).toBe(true);
    expect(isAddressAllowed('http://prom:9090/tenant/a', allowlist)).toBe(true);
    expect(isAddressAllowed('https://metrics.example.com/prometheus/', allowlist)).toBe(true);
    expect(isAddressAllowed('https://metrics.example.com/prometheus/eu', allowlist)).toBe(true);
    expect(isAddressAllowed('HTTP://PROM:9090', allowlist)).toBe(true);
  });

  it('does not fall for string-prefix tricks', () => {
    expect(isAddressAllowed('http://prom:9090.evil', allowlist)).toBe(false);
    expect(isAddressAllowed('http://prom:90901', allowlist)).toBe(false);
    expect(isAddressAllowed('http://prom:9090@evil.example', allowlist)).toBe(false);
    expect(isAddressAllowed('http://prom.evil:9090', allowlist)).toBe(false);
    expect(isAddressAllowed('https://metrics.example.com/prometheus-other', allowlist)).toBe(false);
    expect(isAddressAllowed('https://metrics.example.com/prometheus/../admin', allowlist)).toBe(false);
  });

  it('compares scheme and port', () => {
    expect(isAddressAllowed('https://prom:9090', allowlist)).toBe(false);
    expect(isAddressAllowed('http://prom', allowlist)).toBe(false);
    expect(isAddressAllowed('http://metrics.example.com/prometheus', allowlist)).toBe(false);
    expect(isAddressAllowed('https://metrics.example.com:443/prometheus', allowlist)).toBe(true);
  });

  it('rejects what is not an http(s) URL', () => {
    expect(isAddressAllowed('prom:9090', allowlist)).toBe(false);
    expect(isAddressAllowed('file:///etc/passwd', createAllowlist(['file:///']))).toBe(false);
    expect(isAddressAllowed('not a url', allowlist)).toBe(false);
  });
});

describe('allowlistFromEnv', () => {
  it('reads OPSBOX_PROMETHEUS_ALLOWLIST, comma-separated', () => {
    const allowlist = allowlistFromEnv({ OPSBOX_PROMETHEUS_ALLOWLIST: ' http://a:9090/ ,https://b/x', PROMETHEUS_URL: 'http://c:9090' });
    expect(allowlist.prefixes).toEqual(['http://a:9090', 'https://b/x']);
  });

  it('defaults to PROMETHEUS_URL only, plus what the caller adds', () => {
    expect(allowlistFromEnv({ PROMETHEUS_URL: 'http://c:9090' }).prefixes).toEqual(['http://c:9090']);
    expect(allowlistFromEnv({}).prefixes).toEqual([]);
    expect(allowlistFromEnv({}, ['http://127.0.0.1:9090']).prefixes).toEqual(['http://127.0.0.1:9090']);
  });
});

describe('messages', () => {
  it('say how to allow an address and never show credentials or query strings', () => {
    const message = notAllowedMessage('http://user:secret@evil:9090/x?token=abc', createAllowlist(['http://prom:9090']));
    expect(message).toBe(
      'Prometheus address http://evil:9090/x is not allowed (allowed prefixes: http://prom:9090). An operator can allow it by adding its URL to OPSBOX_PROMETHEUS_ALLOWLIST (comma-separated URL prefixes)',
    );
    expect(displayAddress('::')).toBe('(an invalid URL)');
  });
});
