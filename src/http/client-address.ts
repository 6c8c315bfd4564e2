/**
 * The address a request came from, for the budget of callers without a token.
 *
 * X-Forwarded-For is believed only as far as TRUSTED_PROXY_HOPS says: each
 * proxy appends the address it received the request from, so with N trusted
 * proxies in front of the gateway the client is the N-th entry from the
 * right (the socket's peer being the last proxy). Entries further left were
 * written by the client and could name anyone; with 0 (the default) the
 * header is ignored and the socket's address counts. Written here rather
 * than taken from proxy-addr because it is this one rule over one header.
 *
 * Example:
 *   clientAddress('10.0.0.5', '203.0.113.7, 10.0.0.9', 2) // '203.0.113.7'
 *   clientAddress('10.0.0.5', '203.0.113.7', 0)           // '10.0.0.5'
 */
export function clientAddress(socketAddress: string | undefined, forwardedFor: string | string[] | undefined, trustedHops: number): string {
  const peer = socketAddress ?? 'unknown';
  if (trustedHops === 0 || forwardedFor === undefined) return peer;
  const forwarded = (Array.isArray(forwardedFor) ? forwardedFor.join(',') : forwardedFor)
    .split(',')
    .map((entry) => entry.trim())
    .filter((entry) => entry !== '');
  const chain = [...forwarded, peer];
  return chain[Math.max(0, chain.length - 1 - trustedHops)]!;
}
