/**
 * The HTTP harness: a test gateway listening on a free port of 127.0.0.1, and
 * requests to it as a client sends them, with the answer read once (status,
 * headers, text, and the JSON body when it is JSON), so assertions can look at
 * all of it. Tests of the transport itself that need byte-level control keep
 * their own sockets.
 */
import net from 'node:net';
import type { TestGateway } from '../../src/testing/index.js';

/** A free TCP port on 127.0.0.1, as the OS hands it out. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

export interface Listening {
  /** The GraphQL endpoint, `http://127.0.0.1:<port>/graphql`. */
  readonly url: string;
  /** `http://127.0.0.1:<port>`, for /healthz, /readyz, /metrics. */
  readonly origin: string;
  readonly port: number;
}

/** Starts the gateway's HTTP server on a free port (closed by `gw.close()`). */
export async function listen(gw: TestGateway): Promise<Listening> {
  const { url, port } = await gw.gateway.listen();
  return { url, origin: `http://127.0.0.1:${port}`, port };
}

/** A GraphQL response body as the tests read it. */
export interface GraphQLBody {
  data?: Record<string, any> | null;
  errors?: { message: string; path?: (string | number)[]; extensions?: Record<string, unknown> }[];
}

export interface Answer {
  readonly status: number;
  readonly headers: Headers;
  /** The parsed body; `{}` when the body is not JSON (an HTML page, a proxy's text): `text` says what it was. */
  readonly body: GraphQLBody;
  readonly text: string;
}

/** One request; the body is read whole. */
export async function send(url: string, init: RequestInit = {}): Promise<Answer> {
  const response = await fetch(url, init);
  const text = await response.text();
  let body: GraphQLBody = {};
  try {
    body = JSON.parse(text) as GraphQLBody;
  } catch {
    // Not JSON: assertions on `text` and the content type say what it was.
  }
  return { status: response.status, headers: response.headers, body, text };
}

/** POST of `payload` as JSON (content-type application/json), with extra `headers`. */
export function post(url: string, payload: unknown, headers: Record<string, string> = {}): Promise<Answer> {
  return send(url, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(payload) });
}

/** GET with each parameter in the query string (objects as JSON), with Apollo's preflight header unless `headers` says otherwise. */
export function get(url: string, params: Record<string, unknown>, headers: Record<string, string> = { 'apollo-require-preflight': 'true' }): Promise<Answer> {
  const search = new URLSearchParams();
  for (const [name, value] of Object.entries(params)) search.set(name, typeof value === 'string' ? value : JSON.stringify(value));
  return send(`${url}?${search.toString()}`, { method: 'GET', headers });
}

/** The `extensions.code` of every error of an answer. */
export const codes = (answer: Answer): unknown[] => (answer.body.errors ?? []).map((error) => error.extensions?.code);

/** The statement count the gateway reports in `x-sql-statements`. */
export const sqlHeader = (answer: Answer): number => Number(answer.headers.get('x-sql-statements'));

/** The status of /readyz. */
export async function readiness(origin: string): Promise<number> {
  return (await fetch(`${origin}/readyz`)).status;
}
