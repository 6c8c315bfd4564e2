/**
 * The error plugin (src/plugins/errors.ts) alone, on an in-memory schema:
 * `createErrorFormatter` (masking of unexpected errors, database saturation
 * as SERVICE_UNAVAILABLE, a refused foreign key as NOT_FOUND/CONFLICT, bad
 * literals as BAD_USER_INPUT, "Did you mean" suggestions hidden with
 * `hideSuggestions`) and `useErrorMasking(logger)` (HTTP status of bad
 * literals and of SERVICE_UNAVAILABLE, what is logged with the request id).
 */
import { describe, expect, it } from 'vitest';
import { PoolUnavailableError } from '../../src/db/connection-gate.js';
import { gatewayError } from '../../src/errors.js';
import { createErrorFormatter, useErrorMasking } from '../../src/plugins/errors.js';
import { codes, fakeContext, memoryLogger, run, startServer, tinySchema } from './helpers.js';

const MASKED = 'Internal server error. The request id in the logs has the details.';

async function serverFailingWith(failure: () => unknown, hideSuggestions = false) {
  const { logger, lines } = memoryLogger('info');
  const server = await startServer([useErrorMasking(logger)], {
    schema: tinySchema(undefined, { boom: failure }),
    formatError: createErrorFormatter({ hideSuggestions }),
  });
  return { server, lines };
}

describe('masking (formatError)', () => {
  it('an unexpected error reaches the client as INTERNAL_SERVER_ERROR, its text only in the log, with the request id', async () => {
    const { server, lines } = await serverFailingWith(() => {
      throw new Error('SELECT secret FROM patients failed: ada@example.org');
    });
    const { status, result } = await run(server, { query: 'query Boom { boom }', operationName: 'Boom' }, fakeContext({ requestId: 'req-42' }));
    expect(result.errors).toEqual([{ message: MASKED, locations: [{ line: 1, column: 14 }], path: ['boom'], extensions: { code: 'INTERNAL_SERVER_ERROR' } }]);
    expect(result.data).toEqual({ boom: null });
    expect(JSON.stringify(result)).not.toContain('ada@example.org');
    // A nullable field failed: the response still carries data, Apollo's status stays.
    expect(status).toBeUndefined();
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({
      level: 50,
      requestId: 'req-42',
      operationName: 'Boom',
      path: ['boom'],
      msg: 'unexpected error while executing an operation',
    });
    await server.stop();
  });

  it('an error made with gatewayError passes unchanged and is not logged', async () => {
    const { server, lines } = await serverFailingWith(() => {
      throw gatewayError('NOT_FOUND', 'No patient with id "x".', { id: 'x' });
    });
    const { result } = await run(server, { query: '{ boom }' });
    expect(result.errors).toEqual([
      { message: 'No patient with id "x".', locations: [{ line: 1, column: 3 }], path: ['boom'], extensions: { id: 'x', code: 'NOT_FOUND' } },
    ]);
    expect(lines).toEqual([]);
    await server.stop();
  });

  it('a gatewayError INTERNAL_SERVER_ERROR is masked like any unexpected error', async () => {
    const { server } = await serverFailingWith(() => {
      throw gatewayError('INTERNAL_SERVER_ERROR', 'row 17 of patients is corrupt');
    });
    const { result } = await run(server, { query: '{ boom }' });
    expect(result.errors?.[0]?.message).toBe(MASKED);
    await server.stop();
  });

  it('a saturated pool is SERVICE_UNAVAILABLE: 503 when no data could be produced', async () => {
    const { server, lines } = await serverFailingWith(() => {
      throw new PoolUnavailableError('POOL_ACQUIRE_TIMEOUT', 'No MySQL connection became free within 2000 ms (DB_ACQUIRE_TIMEOUT_MS).');
    });
    const { status, result } = await run(server, { query: '{ boom }' });
    expect(result.errors).toEqual([
      { message: 'The database is unavailable; retry later.', locations: [{ line: 1, column: 3 }], path: ['boom'], extensions: { code: 'SERVICE_UNAVAILABLE' } },
    ]);
    expect(status).toBe(503);
    // Unavailability is the server's trouble: it is logged.
    expect(lines).toHaveLength(1);
    await server.stop();
  });

  it('SERVICE_UNAVAILABLE with partial data is 200', async () => {
    const { server } = await serverFailingWith(() => {
      throw Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET' });
    });
    const { status, result } = await run(server, { query: '{ hello boom }' });
    expect(result.data).toEqual({ hello: 'Hello, world!', boom: null });
    expect(codes(result)).toEqual(['SERVICE_UNAVAILABLE']);
    expect(status).toBe(200);
    await server.stop();
  });

  it('a write a foreign key refused is NOT_FOUND (1452) or CONFLICT (1451), not logged', async () => {
    for (const [errno, code] of [
      [1452, 'NOT_FOUND'],
      [1451, 'CONFLICT'],
    ] as const) {
      const { server, lines } = await serverFailingWith(() => {
        // As drizzle wraps a mysql2 error: the driver's error in `cause`.
        throw Object.assign(new Error('Failed query: insert …'), { cause: Object.assign(new Error('fk'), { errno }) });
      });
      const { result } = await run(server, { query: '{ boom }' });
      expect(codes(result)).toEqual([code]);
      expect(result.errors?.[0]?.message).toMatch(/nothing was written/);
      expect(lines).toEqual([]);
      await server.stop();
    }
  });
});

describe('documents the client got wrong', () => {
  it('an invalid literal is BAD_USER_INPUT with status 200, not a 400 validation failure', async () => {
    const { server, lines } = await serverFailingWith(() => null);
    const { status, result } = await run(server, { query: '{ items(first: "ten") { id } }' });
    expect(result.errors).toHaveLength(1);
    expect(result.errors?.[0]?.message).toBe('Int cannot represent non-integer value: "ten"');
    expect(codes(result)).toEqual(['BAD_USER_INPUT']);
    expect(status).toBe(200);
    expect(lines).toEqual([]);
    await server.stop();
  });

  it('other validation failures keep their code and Apollo\'s 400', async () => {
    const { server } = await serverFailingWith(() => null);
    const { status, result } = await run(server, { query: '{ nope }' });
    expect(codes(result)).toEqual(['GRAPHQL_VALIDATION_FAILED']);
    expect(status).toBe(400);
    await server.stop();
  });

  it('suggestions stay by default and are removed with hideSuggestions (production)', async () => {
    const development = (await serverFailingWith(() => null)).server;
    const shown = await run(development, { query: '{ helo }' });
    expect(shown.result.errors?.[0]?.message).toBe('Cannot query field "helo" on type "Query". Did you mean "hello"?');

    const production = (await serverFailingWith(() => null, true)).server;
    const hidden = await run(production, { query: '{ helo }' });
    expect(hidden.result.errors?.[0]?.message).toBe('Cannot query field "helo" on type "Query".');
    expect(codes(hidden.result)).toEqual(['GRAPHQL_VALIDATION_FAILED']);
    await development.stop();
    await production.stop();
  });

  it('createErrorFormatter alone: a message without a suggestion is returned as the same object', () => {
    const format = createErrorFormatter({ hideSuggestions: true });
    const formatted = { message: 'Unknown argument "x".', extensions: { code: 'GRAPHQL_VALIDATION_FAILED' } };
    expect(format(formatted)).toBe(formatted);
    expect(format({ message: 'Enum "Role" has no value "ADMN". Did you mean the enum value "ADMIN"?', extensions: { code: 'BAD_USER_INPUT' } })).toEqual({
      message: 'Enum "Role" has no value "ADMN".',
      extensions: { code: 'BAD_USER_INPUT' },
    });
  });
});
