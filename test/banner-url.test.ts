/** The startup banner's URL is one a browser can open, whatever HOST the gateway listens on (no database). */
import { describe, expect, it } from 'vitest';
import { browsableHost } from '../src/server.js';

describe('browsableHost', () => {
  it.each([
    ['0.0.0.0', 'localhost'],
    ['::', 'localhost'],
    ['', 'localhost'],
    ['127.0.0.1', '127.0.0.1'],
    ['::1', '[::1]'],
    ['gateway.internal', 'gateway.internal'],
  ])('HOST=%j is shown as %s', (host, shown) => {
    expect(browsableHost(host)).toBe(shown);
    expect(() => new URL(`http://${shown}:4000/graphql`)).not.toThrow();
  });
});
