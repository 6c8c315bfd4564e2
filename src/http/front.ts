/**
 * The HTTP front: one node:http server. `/graphql` goes straight to the
 * GraphQL handler (src/http/graphql-handler.ts); every other path (health,
 * readiness, metrics, GraphiQL) to an Express app, where speed does not
 * matter. The front also owns what applies to every request:
 * - slow clients: headers and body must arrive within REQUEST_BODY_TIMEOUT_MS
 *   (Node's requestTimeout/headersTimeout), else 408 and the connection
 *   closed; requests Node refuses before any handler (headers over 16 KB, a
 *   malformed request line) get a JSON error with a code too;
 * - request ids: `x-request-id` kept when it is sane, made otherwise, echoed;
 * - `Connection: close` on every response once shutdown began;
 * - one log line for a /graphql request that failed (5xx) or was slow
 *   (SLOW_REQUEST_MS), none on the happy path; with `logEveryRequest` (a
 *   person reading development logs on a terminal, src/logger.ts) one short
 *   line for every request: `POST /graphql 200 12 ms 4 SQL`.
 *
 * Example:
 *   const front = createHttpFront({ config, logger, app, isShuttingDown: () => stopping });
 *   front.route('/graphql', graphqlHandler({ … }));
 *   front.server.listen(4000);
 */
import { randomUUID } from 'node:crypto';
import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import type { Config } from '../config.js';
import type { Logger } from '../logger.js';

const REQUEST_ID_PATTERN = /^[A-Za-z0-9_.:-]{1,128}$/;

export type RequestHandler = (req: IncomingMessage, res: ServerResponse, requestId: string) => unknown;

export interface HttpFront {
  readonly server: http.Server;
  /** Serves `path` (exact, query string ignored) with `handler` instead of the app. */
  route(path: string, handler: RequestHandler): void;
}

export interface HttpFrontOptions {
  readonly config: Pick<Config, 'requestBodyTimeoutMs' | 'slowRequestMs'>;
  readonly logger: Logger;
  /** Everything not routed: (req, res) as Express takes them. */
  readonly app: (req: IncomingMessage, res: ServerResponse) => void;
  readonly isShuttingDown: () => boolean;
  /** One line per /graphql request, not only the failed and slow ones (default false). */
  readonly logEveryRequest?: boolean;
}

/** The answer to a request Node refused before any handler ran: its status and why. */
function clientErrorAnswer(error: NodeJS.ErrnoException, bodyTimeoutMs: number): { status: number; message: string } {
  if (error.code === 'HPE_HEADER_OVERFLOW') {
    return { status: 431, message: 'The request headers (the URL included) are too large; send long variables in a POST body.' };
  }
  if (error.code === 'ERR_HTTP_REQUEST_TIMEOUT') return { status: 408, message: `The request's headers and body did not arrive within ${bodyTimeoutMs} ms.` };
  return { status: 400, message: 'The request is not valid HTTP.' };
}

export function createHttpFront({ config, logger, app, isShuttingDown, logEveryRequest = false }: HttpFrontOptions): HttpFront {
  const routes = new Map<string, RequestHandler>();

  const server = http.createServer(
    {
      requestTimeout: config.requestBodyTimeoutMs,
      headersTimeout: config.requestBodyTimeoutMs,
      // Node checks these every `connectionsCheckingInterval` (30 s by default, which would let a trickle run
      // four times the timeout), so it checks often enough here.
      connectionsCheckingInterval: Math.max(50, Math.min(1000, Math.floor(config.requestBodyTimeoutMs / 10))),
    },
    (req, res) => {
      if (isShuttingDown()) res.setHeader('connection', 'close');
      const url = req.url ?? '/';
      const queryAt = url.indexOf('?');
      const handler = routes.get(queryAt < 0 ? url : url.slice(0, queryAt));
      if (!handler) {
        app(req, res);
        return;
      }
      const given = req.headers['x-request-id'];
      const requestId = typeof given === 'string' && REQUEST_ID_PATTERN.test(given) ? given : randomUUID();
      res.setHeader('x-request-id', requestId);
      const started = performance.now();
      res.once('finish', () => {
        const ms = performance.now() - started;
        const ordinary = res.statusCode < 500 && ms < config.slowRequestMs;
        if (ordinary && !logEveryRequest) return;
        const path = queryAt < 0 ? url : url.slice(0, queryAt);
        if (logEveryRequest) {
          const statements = res.getHeader('x-sql-statements');
          const summary = `${req.method} ${path} ${res.statusCode} ${Math.round(ms)} ms${statements === undefined ? '' : ` ${statements} SQL`}`;
          if (res.statusCode >= 500) logger.warn({ requestId }, summary);
          else logger.info({ requestId }, ordinary ? summary : `${summary} (slow)`);
          return;
        }
        const line = { requestId, method: req.method, path, status: res.statusCode, ms: Math.round(ms) };
        if (res.statusCode >= 500) logger.warn(line, 'request failed');
        else logger.info(line, 'slow request');
      });
      Promise.resolve(handler(req, res, requestId)).catch((error: unknown) => {
        logger.error({ requestId, err: error }, 'request failed outside GraphQL');
        if (!res.headersSent) res.writeHead(500, { 'content-type': 'application/json; charset=utf-8' });
        res.end(JSON.stringify({ errors: [{ message: 'Internal server error.', extensions: { code: 'INTERNAL_SERVER_ERROR' } }] }));
      });
    },
  );

  server.on('clientError', (error: NodeJS.ErrnoException, socket: Duplex) => {
    if (error.code === 'ECONNRESET' || !socket.writable || (socket as { _httpMessage?: unknown })._httpMessage) {
      socket.destroy();
      return;
    }
    const { status, message } = clientErrorAnswer(error, config.requestBodyTimeoutMs);
    const body = JSON.stringify({ errors: [{ message, extensions: { code: 'BAD_REQUEST' } }] });
    socket.end(
      `HTTP/1.1 ${status} ${http.STATUS_CODES[status]}\r\nContent-Type: application/json; charset=utf-8\r\n` +
        `Content-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
      // A trickling client keeps its side open: the connection is closed once the answer is out.
      () => socket.destroy(),
    );
  });

  return {
    server,
    route: (path, handler) => {
      routes.set(path, handler);
    },
  };
}
