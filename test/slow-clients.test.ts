/**
 * Slow clients cannot hold the server (REQUEST_BODY_TIMEOUT_MS, the
 * contract's "Environment"): a request's headers and body must have arrived
 * within the timeout, or the connection is answered 408 or closed (Node's
 * requestTimeout and headersTimeout, set in src/server.ts createGateway with
 * a checking interval short enough to honour them).
 *
 * Against a real gateway over raw TCP (node:net): a few hundred connections
 * trickle one byte every TRICKLE_EVERY_MS, half of them a POST /graphql body
 * announced as 1000 bytes, half the headers themselves. Meanwhile ordinary
 * requests are answered well within the request deadline, and every trickling
 * connection ends (408 or a close), not before the timeout allows. The test
 * waits on the sockets' 'close' events, bounded by the timeout plus a
 * generous margin; it never sleeps to synchronize.
 */
import net from 'node:net';
import { afterAll, describe, expect } from 'vitest';
import type { TestGateway } from '../src/testing/index.js';
import { gatewayTest } from './support/fixtures-gateway.js';

const BODY_TIMEOUT_MS = 2000;
const SLOW_CONNECTIONS = 300;
const TRICKLE_EVERY_MS = 500;
/** How long after the timeout every trickling connection must have ended: generous, for a loaded machine. */
const END_MARGIN_MS = 10_000;
/** How much earlier than the timeout a connection may end (clocks of client and server differ by the accept time). */
const EARLY_SLACK_MS = 250;
const ORDINARY_REQUESTS = 20;

interface Trickler {
  readonly kind: 'headers' | 'body';
  readonly socket: net.Socket;
  /** When the connection was established (performance.now()). */
  openedAt: number;
  closedAt: number | null;
  /** What the server sent back (a 408 response, or nothing). */
  received: string;
  readonly closed: Promise<void>;
}

/** The bytes a trickler sends: `upfront` at once, then one byte per tick (`next`), never finishing. */
function streamOf(kind: Trickler['kind'], port: number): { upfront: string; next: () => string } {
  if (kind === 'headers') {
    // The header block never ends: the request line, then a header value that grows a byte at a time.
    const prefix = `POST /graphql HTTP/1.1\r\nhost: 127.0.0.1:${port}\r\ncontent-type: application/json\r\nx-slow: `;
    let offset = 0;
    return {
      upfront: prefix.slice(0, 1),
      next: () => {
        offset += 1;
        return offset < prefix.length ? prefix[offset]! : 'a';
      },
    };
  }
  const body = `{"query":"{ viewer { role } }","variables":{"pad":"${' '.repeat(900)}"}}`;
  let offset = 0;
  return {
    upfront: `POST /graphql HTTP/1.1\r\nhost: 127.0.0.1:${port}\r\ncontent-type: application/json\r\ncontent-length: 1000\r\n\r\n`,
    next: () => body[offset++ % body.length]!,
  };
}

/** Opens one trickling connection; resolves once it is connected and has sent its first bytes. */
function openTrickler(port: number, kind: Trickler['kind']): Promise<{ trickler: Trickler; next: () => string }> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1');
    const stream = streamOf(kind, port);
    let markClosed: () => void = () => undefined;
    const trickler: Trickler = {
      kind,
      socket,
      openedAt: 0,
      closedAt: null,
      received: '',
      closed: new Promise<void>((done) => {
        markClosed = done;
      }),
    };
    socket.setEncoding('latin1');
    socket.on('data', (chunk: string) => {
      trickler.received += chunk;
    });
    // A write racing the server's close fails (EPIPE, ECONNRESET): the close that follows is what counts.
    socket.on('error', (error) => {
      if (trickler.openedAt === 0) reject(error);
    });
    socket.once('close', () => {
      trickler.closedAt = performance.now();
      markClosed();
    });
    socket.once('connect', () => {
      trickler.openedAt = performance.now();
      socket.write(stream.upfront, 'latin1', () => resolve({ trickler, next: stream.next }));
    });
  });
}

/** Resolves when `promise` does, or rejects after `ms` with `message`; the timer never outlives it. */
async function within<T>(promise: Promise<T>, ms: number, message: () => string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      promise,
      new Promise<never>((_resolve, reject) => {
        timer = setTimeout(() => reject(new Error(message())), ms);
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}

/** An ordinary GraphQL request: the viewer's role, with an admin token. */
function ask(url: string, authorization: string): Promise<Response> {
  return fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization },
    body: JSON.stringify({ query: '{ viewer { role } }' }),
  });
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;

/** This file's gateway (its own database), shared by every test and hook here. */
const test = gatewayTest('slow_clients', { env: { REQUEST_BODY_TIMEOUT_MS: String(BODY_TIMEOUT_MS) } });

describe(`slow clients (REQUEST_BODY_TIMEOUT_MS=${BODY_TIMEOUT_MS})`, () => {
  let gw: TestGateway;
  let url: string;
  let port: number;
  let admin: string;
  const tricklers: Trickler[] = [];
  let ticker: NodeJS.Timeout | undefined;

  test.beforeAll(async ({ gateway }) => {
    gw = gateway;
    ({ url, port } = await gw.gateway.listen());
    admin = (await gw.authorizationFor('admin')) as string;
    // Warm: the first request of a process compiles the pipeline; the latencies below are the tricklers' doing only.
    expect((await ask(url, admin)).status).toBe(200);
    const opened = await Promise.all(
      Array.from({ length: SLOW_CONNECTIONS }, (_, index) => openTrickler(port, index % 2 === 0 ? 'body' : 'headers')),
    );
    tricklers.push(...opened.map(({ trickler }) => trickler));
    // One timer for all of them: each open connection gets its next byte every TRICKLE_EVERY_MS.
    ticker = setInterval(() => {
      for (const { trickler, next } of opened) {
        if (trickler.closedAt === null && !trickler.socket.destroyed) trickler.socket.write(next(), 'latin1');
      }
    }, TRICKLE_EVERY_MS);
  });

  // The tricklers stop here, before the fixture closes the gateway (when the worker ends).
  afterAll(() => {
    clearInterval(ticker);
    for (const { socket } of tricklers) socket.destroy();
  });

  const stillOpen = () => tricklers.filter((trickler) => trickler.closedAt === null).length;

  test(`answers ordinary requests within the request deadline while ${SLOW_CONNECTIONS} connections trickle`, async () => {
    expect(tricklers).toHaveLength(SLOW_CONNECTIONS);
    const latencies: number[] = [];
    const openDuring: number[] = [];
    for (let index = 0; index < ORDINARY_REQUESTS; index += 1) {
      const started = performance.now();
      const response = await ask(url, admin);
      const body = (await response.json()) as unknown;
      latencies.push(performance.now() - started);
      openDuring.push(stillOpen());
      expect(response.status).toBe(200);
      expect(body).toEqual({ data: { viewer: { role: 'ADMIN' } } });
    }
    console.log(
      `slow clients: ${ORDINARY_REQUESTS} ordinary requests, latency median ${median(latencies).toFixed(1)} ms, ` +
        `max ${Math.max(...latencies).toFixed(1)} ms; trickling connections open meanwhile: ${Math.min(...openDuring)}..${Math.max(...openDuring)}`,
    );
    for (const latency of latencies) expect(latency).toBeLessThan(gw.config.requestTimeoutMs);
  });

  test('ends every trickling connection with a 408 or a close, and none before the timeout', async () => {
    await within(
      Promise.all(tricklers.map((trickler) => trickler.closed)),
      BODY_TIMEOUT_MS + END_MARGIN_MS,
      () => `${stillOpen()} of ${SLOW_CONNECTIONS} trickling connections still open ${BODY_TIMEOUT_MS + END_MARGIN_MS} ms after they started`,
    );
    const lifetimes = tricklers.map((trickler) => trickler.closedAt! - trickler.openedAt);
    const answered408 = tricklers.filter((trickler) => trickler.received.startsWith('HTTP/1.1 408')).length;
    console.log(
      `slow clients: ${SLOW_CONNECTIONS} trickling connections ended, ${answered408} answered 408, ` +
        `lifetime min ${Math.min(...lifetimes).toFixed(0)} ms, max ${Math.max(...lifetimes).toFixed(0)} ms`,
    );
    for (const trickler of tricklers) {
      // Either nothing came back (a bare close) or a 408, never a GraphQL answer to a request that never arrived.
      if (trickler.received !== '') expect(trickler.received, trickler.kind).toMatch(/^HTTP\/1\.1 408 /);
    }
    expect(Math.min(...lifetimes)).toBeGreaterThanOrEqual(BODY_TIMEOUT_MS - EARLY_SLACK_MS);
    // Both kinds were cut, not only one of them.
    for (const kind of ['headers', 'body'] as const) {
      expect(tricklers.filter((trickler) => trickler.kind === kind && trickler.closedAt !== null)).toHaveLength(SLOW_CONNECTIONS / 2);
    }
  });

  test('holds none of their connections afterwards and still answers', async () => {
    const connections = await new Promise<number>((resolve, reject) =>
      gw.gateway.httpServer.getConnections((error, count) => (error ? reject(error) : resolve(count))),
    );
    // At most the keep-alive connection(s) of the ordinary requests remain.
    expect(connections).toBeLessThanOrEqual(2);
    const response = await ask(url, admin);
    expect(response.status).toBe(200);
  });
});
