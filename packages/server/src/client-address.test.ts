/** The client's address behind trusted proxies: rightmost untrusted hop, spoofing, spellings. */
import { describe, expect, it } from 'vitest';
import { normalizeAddress, resolveClientAddress, trustedProxySet } from './client-address';

const PROXY = '10.0.0.1';
const trusted = trustedProxySet([PROXY, '2001:db8::10']);

describe('resolveClientAddress', () => {
  it('takes the rightmost address that is not a trusted proxy', () => {
    expect(resolveClientAddress(PROXY, '198.51.100.7', trusted)).toBe('198.51.100.7');
    // Two trusted hops (the outer one appended by the inner one): the client is left of both.
    expect(resolveClientAddress(PROXY, '198.51.100.7, 2001:db8::10', trusted)).toBe('198.51.100.7');
    expect(resolveClientAddress(PROXY, '198.51.100.7,10.0.0.1', trusted)).toBe('198.51.100.7');
  });

  it('ignores whatever the client put to the left of the address the proxy saw', () => {
    expect(resolveClientAddress(PROXY, '1.1.1.1, 2.2.2.2, 198.51.100.7', trusted)).toBe(
      '198.51.100.7',
    );
    // A client claiming to be the proxy gets no further: the proxy appended its real address.
    expect(resolveClientAddress(PROXY, '1.1.1.1, 10.0.0.1, 198.51.100.7', trusted)).toBe(
      '198.51.100.7',
    );
  });

  it('compares IPv4-mapped IPv6 addresses as IPv4, and IPv6 in any spelling', () => {
    expect(resolveClientAddress('::ffff:10.0.0.1', '198.51.100.7', trusted)).toBe('198.51.100.7');
    expect(resolveClientAddress(PROXY, '::FFFF:198.51.100.7', trusted)).toBe('198.51.100.7');
    expect(resolveClientAddress('2001:DB8:0::10', '2001:db8::99', trusted)).toBe('2001:db8::99');
    expect(resolveClientAddress('::ffff:198.51.100.7', undefined, trusted)).toBe('198.51.100.7');
    expect(trustedProxySet(['::ffff:10.0.0.1']).has('10.0.0.1')).toBe(true);
  });

  it('is the peer when there is no header, or when the peer is not trusted', () => {
    expect(resolveClientAddress(PROXY, undefined, trusted)).toBe(PROXY);
    expect(resolveClientAddress(PROXY, '', trusted)).toBe(PROXY);
    expect(resolveClientAddress('203.0.113.5', '198.51.100.7', trusted)).toBe('203.0.113.5');
    // No trusted proxy at all (the default): the header is never read.
    expect(resolveClientAddress(PROXY, '198.51.100.7', new Set())).toBe(PROXY);
    expect(resolveClientAddress(undefined, '198.51.100.7', trusted)).toBeUndefined();
  });

  it('stops at the trusted hop that wrote an entry that is not an address', () => {
    expect(resolveClientAddress(PROXY, 'unknown', trusted)).toBe(PROXY);
    expect(resolveClientAddress(PROXY, '198.51.100.7:4711', trusted)).toBe(PROXY);
    expect(resolveClientAddress(PROXY, '198.51.100.7, , 2001:db8::10', trusted)).toBe(
      '2001:db8::10',
    );
  });

  it('takes the leftmost entry when every hop is a trusted proxy', () => {
    expect(resolveClientAddress(PROXY, '2001:db8::10, 10.0.0.1', trusted)).toBe('2001:db8::10');
  });
});

describe('trustedProxySet and normalizeAddress', () => {
  it('refuses anything but an IP literal', () => {
    expect(() => trustedProxySet(['proxy.local'])).toThrow(/"proxy.local" is not an IP address/);
    expect(() => trustedProxySet(['10.0.0.0/8'])).toThrow(TypeError);
  });

  it('spells each address one way', () => {
    expect(normalizeAddress(' 0:0:0:0:0:0:0:1 ')).toBe('::1');
    expect(normalizeAddress('::ffff:7f00:1')).toBe('127.0.0.1');
    expect(normalizeAddress('127.0.0.1')).toBe('127.0.0.1');
    expect(normalizeAddress('unknown')).toBe('unknown');
  });
});
