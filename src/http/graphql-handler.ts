/**
 * The /graphql request handler, on node:http straight into Apollo Server's
 * `executeHTTPGraphQLRequest` (no framework on the hot path):
 * 1. reads a POST's JSON body (body-parser: size limit, Content-Encoding,
 *    charset, and src/http/body.ts's checks before JSON.parse);
 * 2. decides what the request may run (src/http/graphql-request.ts) and
 *    refuses what it may not;
 * 3. runs the approved request through Apollo, under the request deadline,
 *    and writes Apollo's answer (a large one as the pieces `stringifyResult`
 *    wrote, src/http/json-pieces.ts, never as one string).
 *
 * - Deadline (REQUEST_TIMEOUT_MS, 5 s): a request that has not produced its
 *   response by then is answered `SERVICE_UNAVAILABLE` (503, Retry-After) so
 *   a client never hangs behind a saturated or unreachable MySQL. The
 *   execution is not abandoned mid-statement: it runs on (each statement is
 *   bounded by the statement timeout), its late result is dropped, and, like
 *   every response with errors, nothing of it is cached. A mutation cut off by
 *   the deadline may still commit; clients retry it with the same
 *   Idempotency-Key to learn its outcome.
 * - In-flight registry: every execution is tracked until it settles, even
 *   when its client has gone, so shutdown closes the pool only after the last
 *   statement that needs it.
 *
 * Example:
 *   const handle = graphqlHandler({ apollo, rules, context, deadlineMs: 5000, bodyLimitBytes: 1 << 20, inFlight });
 *   http.createServer((req, res) => (req.url?.startsWith('/graphql') ? handle(req, res, requestId) : other(req, res)));
 *   await inFlight.settled(10_000); // at shutdown
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { HeaderMap, type ApolloServer, type BaseContext } from '@apollo/server';
import bodyParser from 'body-parser';
import { sendError } from '../errors.js';
import { verifyBody } from './body.js';
import { expectPieces } from './json-pieces.js';
import { resolveGraphqlRequest, searchOf, type GraphqlRequestRules, type PersistedDocument } from './graphql-request.js';

/**
 * Writes an executed answer, given as one string or as the pieces `stringifyResult` wrote
 * (src/http/json-pieces.ts), then its final newline as a chunk of its own, with Content-Length set.
 * Apollo's bodies end with a newline; the gateway's `stringifyResult` (src/plugins/response-cache.ts)
 * leaves it off executed results: `JSON.stringify(result) + "\n"` is a concatenation Node would flatten
 * (copy, 300 KB for the event page) only to measure it, which took 5% of an uncached event page's CPU.
 */
function writeAnswer(res: ServerResponse, pieces: readonly string[]): void {
  let length = 1;
  for (const piece of pieces) length += Buffer.byteLength(piece);
  res.setHeader('content-length', length);
  for (const piece of pieces) res.write(piece);
  res.end('\n');
}

/** Writes a complete body: one that ends with its newline (a cached response, an error) as it is. */
function writeComplete(res: ServerResponse, body: string): void {
  if (body.length === 0 || body.charCodeAt(body.length - 1) === 0x0a) res.end(body);
  else writeAnswer(res, [body]);
}

/** Promises still running; `settled` waits for all of them (bounded). */
export class InFlight {
  private readonly running = new Set<Promise<unknown>>();

  get size(): number {
    return this.running.size;
  }

  track<T>(promise: Promise<T>): Promise<T> {
    const entry = promise.then(
      () => undefined,
      () => undefined,
    );
    this.running.add(entry);
    void entry.then(() => this.running.delete(entry));
    return promise;
  }

  /** Resolves true once everything tracked has settled, false if `timeoutMs` passed first. */
  async settled(timeoutMs: number): Promise<boolean> {
    let timer: NodeJS.Timeout | undefined;
    const expired = new Promise<false>((resolve) => {
      timer = setTimeout(() => resolve(false), timeoutMs);
    });
    try {
      while (this.running.size > 0) {
        const done = await Promise.race([Promise.all([...this.running]).then(() => true as const), expired]);
        if (!done) return false;
      }
      return true;
    } finally {
      clearTimeout(timer);
    }
  }
}

/** What the handler knows of a request when it asks for its context. */
export interface RequestContextInput {
  readonly req: IncomingMessage;
  readonly requestId: string;
  readonly persistedDocument: PersistedDocument | null;
}

export interface GraphqlHandlerOptions<TContext extends BaseContext> {
  readonly apollo: ApolloServer<TContext>;
  /** Which documents run (the manifest, the APQ store, production's trusted-only rule). */
  readonly rules: GraphqlRequestRules;
  readonly context: (input: RequestContextInput) => Promise<TContext>;
  /** REQUEST_TIMEOUT_MS: past it the client gets SERVICE_UNAVAILABLE (503). */
  readonly deadlineMs: number;
  /** BODY_LIMIT_BYTES: a larger body is 413. */
  readonly bodyLimitBytes: number;
  readonly inFlight: InFlight;
  /** Called when a request missed its deadline (for logs and metrics). */
  readonly onDeadline?: (requestId: string) => void;
  /** Called for a failure outside GraphQL (a body that could not be read for a reason of the server's). */
  readonly onError?: (requestId: string, error: unknown) => void;
}

const DEADLINE = Symbol('deadline');

type BodyError = { status?: number; type?: string; message?: string };

/** Answers a body body-parser (or verifyBody) refused; true when it was the client's. */
function answerBodyError(res: ServerResponse, error: BodyError, limit: number): boolean {
  if (error.status === 413) sendError(res, 'BAD_REQUEST', `The request body is larger than ${limit} bytes.`, { status: 413 });
  // Refused by verifyBody (src/http/body.ts): not UTF-8, not an object, nested too deep; it says why.
  else if (error.type === 'gateway.body.refused' && error.status && error.status < 500) sendError(res, 'BAD_REQUEST', String(error.message), { status: error.status });
  else if (error.type === 'entity.parse.failed') sendError(res, 'BAD_REQUEST', 'The request body is not valid JSON.');
  else if (error.type === 'charset.unsupported') {
    sendError(res, 'BAD_REQUEST', 'The request body must be UTF-8 JSON (application/json; charset=utf-8).', { status: 415 });
  } else if (error.type === 'encoding.unsupported') {
    sendError(res, 'BAD_REQUEST', 'Content-Encoding must be identity, gzip, deflate or br.', { status: 415 });
  } else if (error.status && error.status < 500) sendError(res, 'BAD_REQUEST', 'The request body could not be read.', { status: error.status });
  else return false;
  return true;
}

function headerMapOf(req: IncomingMessage, withoutContentType: boolean): HeaderMap {
  const headers = new HeaderMap();
  for (const [key, value] of Object.entries(req.headers)) {
    if (value === undefined || (withoutContentType && key === 'content-type')) continue;
    headers.set(key, Array.isArray(value) ? value.join(', ') : value);
  }
  return headers;
}

export function graphqlHandler<TContext extends BaseContext>(
  options: GraphqlHandlerOptions<TContext>,
): (req: IncomingMessage, res: ServerResponse, requestId: string) => Promise<void> {
  const { apollo, rules, deadlineMs, inFlight } = options;
  const parseJson = bodyParser.json({ limit: options.bodyLimitBytes, verify: verifyBody });
  const readBody = (req: IncomingMessage, res: ServerResponse) =>
    new Promise<unknown>((resolve, reject) =>
      parseJson(req, res, (error?: unknown) => (error ? reject(error) : resolve((req as { body?: unknown }).body))),
    );

  return async (req, res, requestId) => {
    const method = (req.method ?? 'GET').toUpperCase();
    let body: unknown;
    if (method === 'POST') {
      try {
        body = await readBody(req, res);
      } catch (error) {
        if (answerBodyError(res, error as BodyError, options.bodyLimitBytes)) return;
        options.onError?.(requestId, error);
        sendError(res, 'INTERNAL_SERVER_ERROR', 'Internal server error.');
        return;
      }
    }
    const url = req.url ?? '/graphql';
    const queryAt = url.indexOf('?');
    const search = queryAt < 0 ? '' : url.slice(queryAt);
    const decision = await resolveGraphqlRequest({ method, headers: req.headers, search, body }, rules);
    if (decision.kind === 'refuse') {
      sendError(res, decision.code, decision.message, {
        ...(decision.status !== undefined ? { status: decision.status } : {}),
        ...(decision.headers ? { headers: { ...decision.headers } } : {}),
      });
      return;
    }
    const approved = decision.kind === 'run' ? decision : null;
    const httpGraphQLRequest =
      approved === null
        ? { method, headers: headerMapOf(req, false), search, body }
        : method === 'GET'
          ? // A GET has no body: its content type describes nothing Apollo should check.
            { method, headers: headerMapOf(req, true), search: searchOf(approved.request), body: undefined }
          : { method, headers: headerMapOf(req, false), search: '', body: approved.request };
    // A large answer comes back as pieces in this list, with an empty body (src/plugins/large-bodies.ts).
    const pieces = expectPieces(httpGraphQLRequest);
    const execution = inFlight.track(
      apollo.executeHTTPGraphQLRequest({
        httpGraphQLRequest,
        context: () => options.context({ req, requestId, persistedDocument: approved?.document ?? null }),
      }),
    );
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<typeof DEADLINE>((resolve) => {
      timer = setTimeout(() => resolve(DEADLINE), deadlineMs);
    });
    const outcome = await Promise.race([execution, deadline]).finally(() => clearTimeout(timer));
    if (outcome === DEADLINE) {
      options.onDeadline?.(requestId);
      sendError(res, 'SERVICE_UNAVAILABLE', `The request did not complete within ${deadlineMs} ms; retry later.`, {
        headers: { 'retry-after': '1', 'cache-control': 'no-store' },
      });
      return;
    }
    for (const [key, value] of outcome.headers) res.setHeader(key, value);
    res.statusCode = outcome.status ?? 200;
    if (outcome.body.kind === 'complete') {
      if (pieces.length > 0) writeAnswer(res, pieces);
      else writeComplete(res, outcome.body.string);
      return;
    }
    for await (const chunk of outcome.body.asyncIterator) res.write(chunk);
    res.end();
  };
}
