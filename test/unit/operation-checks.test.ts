/**
 * The operation checks plugin (src/plugins/operation-checks.ts
 * `useOperationChecks`, no options) alone, on an in-memory schema:
 * subscriptions are BAD_REQUEST (400) over HTTP; a variable with a default,
 * sent as an explicit null where the document needs a non-null value (also
 * through fragments), is BAD_REQUEST naming the variable before anything
 * runs, while omitting it (the default applies) or sending a value runs.
 */
import { describe, expect, it } from 'vitest';
import { useOperationChecks } from '../../src/plugins/operation-checks.js';
import { run, startServer, tinySchema, type Calls } from './helpers.js';

async function setup() {
  const calls: Calls = { hello: 0, items: 0, bump: 0, mine: 0 };
  const server = await startServer([useOperationChecks()], { schema: tinySchema(calls) });
  return { server, calls };
}

describe('useOperationChecks', () => {
  it('refuses a subscription with BAD_REQUEST (400)', async () => {
    const { server } = await setup();
    const { status, result } = await run(server, { query: 'subscription { ticks }' });
    expect(result.errors).toEqual([
      { message: 'Subscriptions are not served over HTTP; send a query or a mutation.', extensions: { code: 'BAD_REQUEST' } },
    ]);
    expect(status).toBe(400);
  });

  it('refuses an explicit null for a defaulted variable used in a non-null position, before execution', async () => {
    const { server, calls } = await setup();
    const { status, result } = await run(server, { query: 'mutation ($by: Int = 1) { bump(by: $by) }', variables: { by: null } });
    expect(result.errors).toEqual([
      {
        message: 'Variable "$by" is null, but it is used where null is not allowed (Int!); omit it to use its default, or send a value.',
        extensions: { variable: 'by', code: 'BAD_REQUEST' },
      },
    ]);
    expect(status).toBe(400);
    expect(calls.bump).toBe(0);
  });

  it('finds the usage through fragments', async () => {
    const { server } = await setup();
    const query = 'query Q($t: String = "x") { ...A } fragment A on Query { ...B } fragment B on Query { echo(text: $t) }';
    const refused = await run(server, { query, variables: { t: null } });
    expect(refused.result.errors?.[0]?.extensions).toEqual({ variable: 't', code: 'BAD_REQUEST' });
    expect(refused.result.errors?.[0]?.message).toContain('(String!)');
    // The same document (its analysis is kept per document) with the variable omitted, then given.
    expect((await run(server, { query })).result).toEqual({ data: { echo: 'x' } });
    expect((await run(server, { query, variables: { t: 'y' } })).result).toEqual({ data: { echo: 'y' } });
  });

  it('runs when the default applies or a value is sent, and leaves nullable positions alone', async () => {
    const { server, calls } = await setup();
    expect((await run(server, { query: 'mutation ($by: Int = 2) { bump(by: $by) }' })).result).toEqual({ data: { bump: 2 } });
    expect((await run(server, { query: 'mutation ($by: Int = 2) { bump(by: $by) }', variables: { by: 3 } })).result).toEqual({ data: { bump: 5 } });
    expect((await run(server, { query: 'query ($n: String = "a") { hello(name: $n) }', variables: { n: null } })).result).toEqual({
      data: { hello: 'Hello, world!' },
    });
    expect(calls.bump).toBe(2);
  });
});
