/**
 * usePrometheusMetrics: the GraphQL and MySQL series of GET /metrics.
 *
 * Registers on `registry`:
 * - `gateway_graphql_request_duration_seconds{operation, outcome}` (histogram):
 *   from Apollo's requestDidStart to willSendResponse. `outcome` is `ok`, or
 *   the `extensions.code` of the response's first error as the client gets it
 *   (BAD_USER_INPUT, SERVICE_UNAVAILABLE, COST_LIMIT_EXCEEDED...).
 * - `gateway_graphql_sql_statements{operation}` (histogram): SQL statements
 *   one operation sent (the request's trace, src/db/sql-counter.ts, as the
 *   x-sql-statements header reports it), buckets 0, 1, 2, 3, 5, 8, 13, 21, 50, 100.
 * - `gateway_limit_rejections_total{code}` (counter): requests refused by an
 *   operation limit or the rate budget (COST_LIMIT_EXCEEDED, DEPTH_LIMIT_EXCEEDED,
 *   ALIAS_LIMIT_EXCEEDED, TOKEN_LIMIT_EXCEEDED, DIRECTIVE_LIMIT_EXCEEDED,
 *   DOCUMENT_TOO_LARGE, RATE_LIMITED), read from the errors each response
 *   ends with, so no limit needs to know about metrics. Every code's series
 *   exists from the start, at 0.
 * - `gateway_sql_statements_total` (counter): statements this process sent, in
 *   or out of a request.
 * - `gateway_db_pool_connections_in_use`, `gateway_db_pool_waiting`,
 *   `gateway_db_pool_size` (gauges): `poolStats()` read at each scrape.
 *
 * The `operation` label is the operation's name; `anonymous` for an unnamed
 * one; `unknown` when the request failed before an operation was resolved
 * (a syntax error, a token limit, a failed validation); and `other` once
 * `maxOperationNames` distinct names have been seen (or for a name longer
 * than 100 characters), so a client inventing names cannot grow /metrics
 * without bound. In production only trusted documents run, whose names are
 * few.
 *
 * Options and defaults:
 *   registry            (required) the prom-client Registry served on /metrics
 *   poolStats           (required) () => { inUse, waiting, size } of the MySQL pool
 *   maxOperationNames   200 (METRICS_MAX_OPERATION_NAMES)
 *   durationBuckets     0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10 (seconds)
 *
 * Register it last in Apollo's plugin list: its willSendResponse then sees the
 * codes the other plugins settled (e.g. TOKEN_LIMIT_EXCEEDED).
 *
 * Example:
 *   plugins: [..., usePrometheusMetrics({ registry, poolStats: () => database.poolStats() })]
 */
import type { ApolloServerPlugin, GraphQLResponse } from '@apollo/server';
import type { GraphQLFormattedError } from 'graphql';
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import type { GatewayContext } from '../context.js';
import type { PoolStats } from '../db/connection-gate.js';
import { totalStatements } from '../db/sql-counter.js';
import type { ErrorCode } from '../errors.js';

export interface PrometheusMetricsOptions {
  readonly registry: Registry;
  readonly poolStats: () => PoolStats;
  /** Distinct operation names labelled before new ones count as `other` (default 200). */
  readonly maxOperationNames?: number;
  /** Request duration histogram buckets, in seconds. */
  readonly durationBuckets?: readonly number[];
}

export const DEFAULT_MAX_OPERATION_NAMES = 200;
const MAX_NAME_LENGTH = 100;
const DEFAULT_DURATION_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];
const SQL_BUCKETS = [0, 1, 2, 3, 5, 8, 13, 21, 50, 100];

/** The codes of a refusal by an operation limit or the rate budget. */
export const LIMIT_CODES: readonly ErrorCode[] = [
  'COST_LIMIT_EXCEEDED',
  'DEPTH_LIMIT_EXCEEDED',
  'ALIAS_LIMIT_EXCEEDED',
  'TOKEN_LIMIT_EXCEEDED',
  'DIRECTIVE_LIMIT_EXCEEDED',
  'DOCUMENT_TOO_LARGE',
  'RATE_LIMITED',
];
const LIMIT_CODE_SET = new Set<string>(LIMIT_CODES);

/** Codes are upper-case words; anything else (formatError masks it anyway) is reported as `error`. */
const CODE_PATTERN = /^[A-Z][A-Z0-9_]{0,63}$/;

/** The errors of a response as the client receives them (formatted), first payload only when incremental. */
export function responseErrors(response: GraphQLResponse): readonly GraphQLFormattedError[] {
  const body = response.body;
  return (body.kind === 'single' ? body.singleResult.errors : body.initialResult.errors) ?? [];
}

/** The `extensions.code` of each error, in order (`error` for a missing or odd one). */
export function errorCodesOf(response: GraphQLResponse): string[] {
  return responseErrors(response).map((error) => {
    const code = error.extensions?.code;
    return typeof code === 'string' && CODE_PATTERN.test(code) ? code : 'error';
  });
}

/** `ok`, or the code of the response's first error. */
export function outcomeOf(response: GraphQLResponse): string {
  return errorCodesOf(response)[0] ?? 'ok';
}

/** Turns operation names into bounded label values (see the header). */
export function operationLabeller(
  maxNames: number,
): (request: { readonly operation?: unknown; readonly operationName?: string | null }) => string {
  const known = new Set<string>();
  return ({ operation, operationName }) => {
    if (!operation) return 'unknown';
    if (!operationName) return 'anonymous';
    if (known.has(operationName)) return operationName;
    if (known.size >= maxNames || operationName.length > MAX_NAME_LENGTH) return 'other';
    known.add(operationName);
    return operationName;
  };
}

export function usePrometheusMetrics(options: PrometheusMetricsOptions): ApolloServerPlugin<GatewayContext> {
  const registers = [options.registry];
  const duration = new Histogram({
    name: 'gateway_graphql_request_duration_seconds',
    help: 'GraphQL requests by operation name and outcome (ok, or the first error code), in seconds.',
    labelNames: ['operation', 'outcome'] as const,
    buckets: [...(options.durationBuckets ?? DEFAULT_DURATION_BUCKETS)],
    registers,
  });
  const statements = new Histogram({
    name: 'gateway_graphql_sql_statements',
    help: 'SQL statements sent by one GraphQL operation, by operation name.',
    labelNames: ['operation'] as const,
    buckets: SQL_BUCKETS,
    registers,
  });
  const rejections = new Counter({
    name: 'gateway_limit_rejections_total',
    help: 'Requests refused by an operation limit or the rate budget, by error code.',
    labelNames: ['code'] as const,
    registers,
  });
  for (const code of LIMIT_CODES) rejections.labels(code).inc(0);
  new Counter({
    name: 'gateway_sql_statements_total',
    help: 'SQL statements sent to MySQL by this process.',
    registers,
    collect() {
      this.reset();
      this.inc(totalStatements());
    },
  });
  const poolGauge = (name: string, help: string, read: (stats: PoolStats) => number) =>
    new Gauge({
      name,
      help,
      registers,
      collect() {
        this.set(read(options.poolStats()));
      },
    });
  poolGauge('gateway_db_pool_connections_in_use', 'MySQL connections held by a statement or a transaction.', (stats) => stats.inUse);
  poolGauge('gateway_db_pool_waiting', 'Statements waiting for a free MySQL connection.', (stats) => stats.waiting);
  poolGauge('gateway_db_pool_size', 'The most MySQL connections the pool may hold (DB_POOL_SIZE).', (stats) => stats.size);

  const labelOf = operationLabeller(options.maxOperationNames ?? DEFAULT_MAX_OPERATION_NAMES);

  return {
    async requestDidStart() {
      const started = process.hrtime.bigint();
      return {
        async willSendResponse(requestContext) {
          // Synchronously, like the x-sql-statements header: the same count for the same request.
          const sqlCount = requestContext.contextValue.sql?.count;
          const seconds = Number(process.hrtime.bigint() - started) / 1e9;
          const operation = labelOf(requestContext);
          const codes = errorCodesOf(requestContext.response);
          duration.observe({ operation, outcome: codes[0] ?? 'ok' }, seconds);
          if (sqlCount !== undefined) statements.observe({ operation }, sqlCount);
          for (const code of new Set(codes)) if (LIMIT_CODE_SET.has(code)) rejections.inc({ code });
        },
      };
    },
  };
}
