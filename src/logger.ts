/**
 * The process logger (pino), and what it may write. Every request's lines
 * carry its request id (see src/server.ts).
 *
 * JSON lines everywhere, except in development on a terminal (LOG_FORMAT=auto),
 * where pino-pretty prints one short, readable line per entry and the HTTP
 * front adds one line per request (`POST /graphql 200 12 ms 4 SQL`). pino-pretty
 * is a development dependency: a production install without it logs JSON.
 *
 * Logs never hold patient data:
 * - Errors (`err`) go through `safeError`: a database error is logged as its
 *   code, errno, SQL state and the statement's shape (the SQL text with `?`
 *   placeholders, as drizzle prepared it), never its bound parameters, the
 *   driver's interpolated SQL or the server's message (which quotes values:
 *   "Duplicate entry 'ada@example.org' for key …"). A cause chain is
 *   sanitized the same way, link by link.
 * - Requests (`req`) are logged as method and path: the query string (a GET's
 *   `variables`) and the headers are left out.
 * - Tokens and cookies are redacted wherever they appear.
 *
 * Example:
 *   const logger = createLogger('info');
 *   logger.error({ err: drizzleQueryError }, 'insert failed');
 *   // {"err":{"type":"DrizzleQueryError","code":"ER_NO_REFERENCED_ROW_2","errno":1452,"statement":"insert into `events` (…) values (?, ?, …)"},…}
 */
import { createRequire } from 'node:module';
import { pino, type DestinationStream, type Logger } from 'pino';
import type { Config } from './config.js';

export type { Logger };

/** Longest statement shape logged; longer ones are cut (a 1,000-row insert's placeholders say nothing more). */
const MAX_STATEMENT_CHARS = 500;

interface ErrorLike {
  name?: unknown;
  message?: unknown;
  stack?: unknown;
  code?: unknown;
  errno?: unknown;
  sqlState?: unknown;
  query?: unknown;
  sql?: unknown;
  cause?: unknown;
}

/** A database error: mysql2's (code, errno, sqlState, sql) or drizzle's wrapper of one (query, params). */
function isDatabaseError(error: ErrorLike): boolean {
  return error.sqlState !== undefined || error.errno !== undefined || (typeof error.query === 'string' && 'params' in error);
}

const shapeOf = (sql: string) => (sql.length > MAX_STATEMENT_CHARS ? `${sql.slice(0, MAX_STATEMENT_CHARS)}…` : sql);

/** The stack's call frames only: the lines before them repeat the message, which may span lines (drizzle's has the params on its second). */
function framesOf(stack: unknown): string | undefined {
  if (typeof stack !== 'string') return undefined;
  const frames = stack.split('\n').filter((line) => /^\s+at /.test(line));
  return frames.length > 0 ? frames.join('\n') : undefined;
}

/** pino's `err` serializer: see the module comment. */
export function safeError(value: unknown, depth = 0): Record<string, unknown> {
  if (value === null || typeof value !== 'object') return { message: String(value) };
  const error = value as ErrorLike;
  const type = typeof error.name === 'string' ? error.name : (value as object).constructor?.name ?? 'Error';
  const cause = depth < 5 && error.cause !== undefined ? { cause: safeError(error.cause, depth + 1) } : {};
  if (!isDatabaseError(error)) {
    return { type, message: String(error.message), ...(typeof error.stack === 'string' ? { stack: error.stack } : {}), ...cause };
  }
  const frames = framesOf(error.stack);
  return {
    type,
    message: `database error${typeof error.code === 'string' ? ` ${error.code}` : ''} (bound values and server message withheld)`,
    ...(error.code !== undefined ? { code: error.code } : {}),
    ...(error.errno !== undefined ? { errno: error.errno } : {}),
    ...(error.sqlState !== undefined ? { sqlState: error.sqlState } : {}),
    // drizzle's `query` is the prepared text with placeholders; mysql2's `sql` has the values interpolated.
    ...(typeof error.query === 'string' ? { statement: shapeOf(error.query) } : {}),
    ...(frames ? { stack: frames } : {}),
    ...cause,
  };
}

/** A request as logged: what was asked, not what was sent with it. */
export function safeRequest(req: { id?: unknown; method?: unknown; url?: unknown }): Record<string, unknown> {
  const url = typeof req.url === 'string' ? req.url : '';
  const queryAt = url.indexOf('?');
  return { id: req.id, method: req.method, path: queryAt < 0 ? url : url.slice(0, queryAt) };
}

/**
 * Whether logs are for a person at a terminal: LOG_FORMAT=pretty, or `auto` in development with stdout a TTY.
 *
 *   prettyLogs({ logFormat: 'auto', nodeEnv: 'development' }, process.stdout) // true in a terminal, false when piped
 */
export function prettyLogs(config: Pick<Config, 'logFormat' | 'nodeEnv'>, stdout: { isTTY?: boolean } = process.stdout): boolean {
  if (config.logFormat !== 'auto') return config.logFormat === 'pretty';
  return config.nodeEnv === 'development' && stdout.isTTY === true;
}

type PrettyFactory = (options: Record<string, unknown>) => DestinationStream;

/** pino-pretty when it is installed (a development dependency), else null and the caller keeps JSON. */
function loadPretty(): PrettyFactory | null {
  try {
    const loaded = createRequire(import.meta.url)('pino-pretty') as PrettyFactory | { default: PrettyFactory };
    return typeof loaded === 'function' ? loaded : loaded.default;
  } catch {
    return null;
  }
}

export interface LoggerOptions {
  /** One readable line per entry (pino-pretty) instead of JSON; see prettyLogs. */
  readonly pretty?: boolean;
}

export function createLogger(level: string, destination?: DestinationStream, options: LoggerOptions = {}): Logger {
  const pretty = options.pretty ? loadPretty() : null;
  const stream = pretty
    ? pretty({
        destination: destination ?? 1,
        colorize: destination === undefined && process.stdout.isTTY === true,
        translateTime: 'SYS:HH:MM:ss.l',
        singleLine: true,
        // The request id and the constant fields are for machines; the JSON format keeps them.
        ignore: 'pid,hostname,service,requestId',
      })
    : destination;
  return pino(
    {
      level,
      base: { service: 'clinic-gateway' },
      serializers: { err: safeError, req: safeRequest },
      // Tokens and cookies never reach the logs.
      redact: { paths: ['req.headers.authorization', 'req.headers.cookie', 'res.headers["set-cookie"]'], censor: '[redacted]' },
    },
    ...(stream ? [stream] : []),
  );
}
