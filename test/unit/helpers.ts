/**
 * Shared pieces of the unit tests (test/unit): a tiny in-memory schema, an
 * ApolloServer over it with the plugins under test, a request context without
 * MySQL or Redis, and a logger whose lines the test can read. Nothing here
 * opens a connection to a database or to Redis.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { Writable } from 'node:stream';
import { ApolloServer, HeaderMap, type ApolloServerPlugin, type GraphQLRequest, type GraphQLResponse } from '@apollo/server';
import { ApolloServerPluginCacheControlDisabled } from '@apollo/server/plugin/disabled';
import { makeExecutableSchema } from '@graphql-tools/schema';
import type { FormattedExecutionResult } from 'graphql';
import type { Viewer } from '../../src/auth/token.js';
import { CacheSession } from '../../src/cache/cache.js';
import type { GatewayContext } from '../../src/context.js';
import { newSqlTrace } from '../../src/db/sql-counter.js';
import { gatewayError, type ErrorCode } from '../../src/errors.js';
import { graphqlHandler, InFlight, type GraphqlHandlerOptions } from '../../src/http/graphql-handler.js';
import { createLogger, type Logger } from '../../src/logger.js';
import { createApqStore } from '../../src/persisted/apq-store.js';

export const TYPE_DEFS = /* GraphQL */ `
  directive @cost(weight: String!) on ARGUMENT_DEFINITION | ENUM | FIELD_DEFINITION | INPUT_FIELD_DEFINITION | OBJECT | SCALAR
  directive @listSize(assumedSize: Int, slicingArguments: [String!], sizedFields: [String!], requireOneSlicingArgument: Boolean = true) on FIELD_DEFINITION
  enum CacheControlScope {
    PUBLIC
    PRIVATE
  }
  directive @cacheControl(maxAge: Int, scope: CacheControlScope, inheritMaxAge: Boolean) on FIELD_DEFINITION | OBJECT | INTERFACE | UNION

  interface Node {
    id: ID!
  }

  type Item implements Node @cacheControl(maxAge: 60) {
    id: ID!
    parent: Item
    name: String @cacheControl(inheritMaxAge: true)
    tags: [String!]!
  }

  type Query {
    hello(name: String): String @cacheControl(maxAge: 30)
    item(id: ID): Item
    items(first: Int = 10): [Item!]! @listSize(slicingArguments: ["first"]) @cacheControl(maxAge: 60)
    mine: String @cacheControl(maxAge: 20, scope: PRIVATE)
    boom: String @cacheControl(maxAge: 30)
    uncached: String
    echo(text: String!): String
  }

  type Mutation {
    bump(by: Int!): Int!
    failing(code: String!): Int
  }

  type Subscription {
    ticks: Int
  }
`;

/** Counts resolver calls so a test can tell whether anything executed. */
export interface Calls {
  hello: number;
  items: number;
  bump: number;
  mine: number;
}

export function tinySchema(calls: Calls = { hello: 0, items: 0, bump: 0, mine: 0 }, hooks: { boom?: () => unknown } = {}) {
  let counter = 0;
  return makeExecutableSchema({
    typeDefs: TYPE_DEFS,
    resolvers: {
      Query: {
        hello: (_parent: unknown, { name }: { name?: string | null }) => {
          calls.hello += 1;
          return `Hello, ${name ?? 'world'}!`;
        },
        item: (_parent: unknown, { id }: { id?: string | null }) => (id ? { id, name: `Item ${id}`, tags: [] } : null),
        items: (_parent: unknown, { first }: { first?: number | null }, context: Partial<GatewayContext>) => {
          calls.items += 1;
          // Like the loaders do: every fragment the response holds adds its tags to the session.
          context.cacheSession?.tags.add('Item:list');
          return Array.from({ length: first ?? 10 }, (_value, index) => ({ id: String(index + 1), name: `Item ${index + 1}`, tags: [] }));
        },
        mine: (_parent: unknown, _args: unknown, context: Partial<GatewayContext>) => {
          calls.mine += 1;
          return `mine:${context.viewer?.subject ?? 'nobody'}`;
        },
        boom: () => (hooks.boom ? hooks.boom() : Promise.reject(new Error('SELECT secret FROM patients failed: ada@example.org'))),
        uncached: () => 'not cached',
        echo: (_parent: unknown, { text }: { text: string }) => text,
      },
      Mutation: {
        bump: (_parent: unknown, { by }: { by: number }) => {
          calls.bump += 1;
          counter += by;
          return counter;
        },
        failing: (_parent: unknown, { code }: { code: string }) => {
          calls.bump += 1;
          throw gatewayError(code as ErrorCode, `failure ${code}`);
        },
      },
      Subscription: {
        ticks: { subscribe: () => ({ [Symbol.asyncIterator]: () => ({ next: async () => ({ done: true, value: undefined }) }) }) },
      },
    },
  });
}

/** An ApolloServer like the pipeline's (no Apollo APQ, no CSRF check, no cache-control plugin) with `plugins`. */
export async function startServer(
  plugins: ApolloServerPlugin<GatewayContext>[],
  options: { schema?: ReturnType<typeof tinySchema>; formatError?: ConstructorParameters<typeof ApolloServer>[0]['formatError']; maxTokens?: number; logger?: Logger } = {},
): Promise<ApolloServer<GatewayContext>> {
  const server = new ApolloServer<GatewayContext>({
    schema: options.schema ?? tinySchema(),
    csrfPrevention: false,
    persistedQueries: false,
    includeStacktraceInErrorResponses: false,
    ...(options.formatError ? { formatError: options.formatError } : {}),
    ...(options.maxTokens !== undefined ? { parseOptions: { maxTokens: options.maxTokens } } : {}),
    ...(options.logger ? { logger: options.logger } : { logger: silentLogger() }),
    plugins: [ApolloServerPluginCacheControlDisabled(), ...plugins],
  });
  await server.start();
  return server;
}

export const ADMIN: Viewer = { role: 'admin', subject: 'admin-1', patientId: null };
export const PATIENT: Viewer = { role: 'patient', subject: 'user-7', patientId: 7 };

/** A request context without MySQL: only the fields the plugins read. */
export function fakeContext(overrides: Partial<GatewayContext> = {}): GatewayContext {
  const context = {
    requestId: 'req-1',
    viewer: ADMIN,
    authError: null,
    cacheSession: new CacheSession(),
    sql: newSqlTrace(),
    persistedDocument: null,
    payer: 'admin:admin-1',
    ...overrides,
  };
  return context as unknown as GatewayContext;
}

export interface Sent {
  readonly status: number | undefined;
  readonly headers: HeaderMap;
  readonly result: FormattedExecutionResult;
}

/** Runs one operation through `server.executeOperation`, with `headers` as the HTTP request's. */
export async function run(
  server: ApolloServer<GatewayContext>,
  request: Omit<GraphQLRequest, 'http'> & { method?: string; headers?: Record<string, string> },
  context: GatewayContext = fakeContext(),
): Promise<Sent> {
  const { method = 'POST', headers = {}, ...graphql } = request;
  const response: GraphQLResponse = await server.executeOperation(
    { ...graphql, http: { method, headers: new HeaderMap(Object.entries(headers)), search: '', body: undefined } },
    { contextValue: context },
  );
  if (response.body.kind !== 'single') throw new Error('expected a single result');
  return { status: response.http.status, headers: response.http.headers, result: response.body.singleResult };
}

/** The codes of a result's errors, in order. */
export const codes = (result: FormattedExecutionResult): unknown[] => (result.errors ?? []).map((error) => error.extensions?.code);

/** A pino logger (the project's, same serializers) whose JSON lines are kept in `lines`. */
export function memoryLogger(level = 'debug'): { logger: Logger; lines: Record<string, unknown>[] } {
  const lines: Record<string, unknown>[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const line of chunk.toString('utf8').split('\n')) if (line.trim() !== '') lines.push(JSON.parse(line) as Record<string, unknown>);
      done();
    },
  });
  // pino writes synchronously to a plain Writable (no sonic-boom), so lines are there when the call returns.
  return { logger: createLogger(level, stream), lines };
}

export function silentLogger(): Logger {
  return createLogger('silent');
}

/** A promise with its resolve and reject, to hold a resolver or a store call open. */
export function deferred<T = void>(): { promise: Promise<T>; resolve: (value: T) => void; reject: (error: unknown) => void } {
  let resolve!: (value: T) => void;
  let reject!: (error: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

/**
 * The /graphql handler (src/http/graphql-handler.ts) over `apollo` on a local port, with development rules
 * (no manifest, an in-memory APQ store, registration allowed), an empty context, a 1 MB body limit and a
 * 10 s deadline unless `options` says otherwise. `wrap` sees each request and response first (a spy).
 */
export async function listenWithHandler<TContext extends object>(
  apollo: ApolloServer<TContext>,
  options: Partial<Omit<GraphqlHandlerOptions<TContext>, 'apollo'>> & { requestId?: string; wrap?: (res: http.ServerResponse) => void } = {},
): Promise<{ url: string; inFlight: InFlight; close: () => Promise<void> }> {
  const { requestId = 'unit', wrap, ...handlerOptions } = options;
  const inFlight = handlerOptions.inFlight ?? new InFlight();
  const handle = graphqlHandler<TContext>({
    apollo,
    rules: {
      manifest: new Map(),
      store: createApqStore({ redis: null, keyPrefix: 'unit:', ttlSeconds: 60, localMaxEntries: 10, logger: silentLogger() }),
      trustedOnly: false,
      allowRegistration: true,
    },
    context: async () => ({}) as TContext,
    deadlineMs: 10_000,
    bodyLimitBytes: 1 << 20,
    ...handlerOptions,
    inFlight,
  });
  const server = http.createServer((req, res) => {
    wrap?.(res);
    void handle(req, res, requestId);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/graphql`,
    inFlight,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
