/**
 * The /graphql request handler: Apollo Server's Express integration, plus the
 * request deadline and the in-flight registry graceful shutdown waits on.
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
 * Written out instead of `expressMiddleware` from @as-integrations/express5
 * (whose body this follows) because that one cannot answer before Apollo
 * does.
 *
 * Example:
 *   const inFlight = new InFlight();
 *   app.use('/graphql', express.json(), graphqlHandler(apollo, { context, deadlineMs: 5000, inFlight }));
 *   await inFlight.settled(10_000); // at shutdown
 */
import { HeaderMap, type ApolloServer, type BaseContext } from '@apollo/server';
import type { Request, RequestHandler, Response } from 'express';
import { sendError } from '../errors.js';

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

export interface GraphqlHandlerOptions<TContext extends BaseContext> {
  readonly context: (args: { req: Request; res: Response }) => Promise<TContext>;
  /** REQUEST_TIMEOUT_MS: past it the client gets SERVICE_UNAVAILABLE (503). */
  readonly deadlineMs: number;
  readonly inFlight: InFlight;
  /** Called when a request missed its deadline (for logs and metrics). */
  readonly onDeadline?: (req: Request) => void;
}

const DEADLINE = Symbol('deadline');

export function graphqlHandler<TContext extends BaseContext>(
  apollo: ApolloServer<TContext>,
  { context, deadlineMs, inFlight, onDeadline }: GraphqlHandlerOptions<TContext>,
): RequestHandler {
  return async (req, res) => {
    const headers = new HeaderMap();
    for (const [key, value] of Object.entries(req.headers)) {
      if (value !== undefined) headers.set(key, Array.isArray(value) ? value.join(', ') : value);
    }
    const search = req.url.includes('?') ? req.url.slice(req.url.indexOf('?')) : '';
    const execution = inFlight.track(
      apollo.executeHTTPGraphQLRequest({
        httpGraphQLRequest: { method: req.method.toUpperCase(), headers, search, body: req.body as unknown },
        context: () => context({ req, res }),
      }),
    );
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<typeof DEADLINE>((resolve) => {
      timer = setTimeout(() => resolve(DEADLINE), deadlineMs);
    });
    const outcome = await Promise.race([execution, deadline]).finally(() => clearTimeout(timer));
    if (outcome === DEADLINE) {
      onDeadline?.(req);
      sendError(res, 'SERVICE_UNAVAILABLE', `The request did not complete within ${deadlineMs} ms; retry later.`, {
        headers: { 'retry-after': '1', 'cache-control': 'no-store' },
      });
      return;
    }
    for (const [key, value] of outcome.headers) res.setHeader(key, value);
    res.statusCode = outcome.status ?? 200;
    if (outcome.body.kind === 'complete') {
      res.send(outcome.body.string);
      return;
    }
    for await (const chunk of outcome.body.asyncIterator) res.write(chunk);
    res.end();
  };
}
