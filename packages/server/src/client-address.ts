/**
 * Which address a request comes from, for login throttling: the socket's peer, or, when that
 * peer is a reverse proxy the operator trusts (`--trusted-proxy`), the client that proxy
 * names in `X-Forwarded-For`.
 *
 * Each proxy appends the address it received the request from, so the header's entries
 * are only as good as the hop that wrote them: entry i was written by the hop named by
 * entry i+1 (the last one by the socket's peer). Reading from the right and stepping left
 * only past trusted proxies yields the first address no trusted hop vouches past: the client.
 * The leftmost entries are whatever the client sent and are never believed.
 */
import { isIP, SocketAddress } from 'node:net';

/**
 * One spelling per address: IPv6 in its canonical form (lowercase, `::` compressed, no zone),
 * an IPv4-mapped IPv6 address (`::ffff:1.2.3.4`) as its IPv4 address; anything else as given.
 */
export function normalizeAddress(address: string): string {
  const trimmed = address.trim();
  if (isIP(trimmed) !== 6) return trimmed;
  const canonical = new SocketAddress({ address: trimmed, family: 'ipv6' }).address;
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/.exec(canonical);
  return mapped ? mapped[1]! : canonical;
}

/** The trusted proxies as a set of normalized addresses; anything but an IP literal is refused. */
export function trustedProxySet(addresses: readonly string[]): ReadonlySet<string> {
  for (const a of addresses) {
    if (isIP(a.trim()) === 0) throw new TypeError(`trusted proxy "${a}" is not an IP address`);
  }
  return new Set(addresses.map(normalizeAddress));
}

/**
 * The client's address: `peer` (the socket's remote address) unless `peer` is in `trusted`
 * and `forwardedFor` (the `X-Forwarded-For` value, repeated headers joined by commas) names
 * hops; then the rightmost of them that is not a trusted proxy. An entry that is not an IP
 * address stops the walk at the trusted hop that wrote it (never fewer requests counted
 * together than without the header). Undefined when the peer is unknown.
 */
export function resolveClientAddress(
  peer: string | undefined,
  forwardedFor: string | undefined,
  trusted: ReadonlySet<string>,
): string | undefined {
  if (peer === undefined) return undefined;
  let client = normalizeAddress(peer);
  if (!forwardedFor || !trusted.has(client)) return client;
  const hops = forwardedFor.split(',');
  for (let i = hops.length - 1; i >= 0 && trusted.has(client); i -= 1) {
    const hop = hops[i]!.trim();
    if (isIP(hop) === 0) break;
    client = normalizeAddress(hop);
  }
  return client;
}
