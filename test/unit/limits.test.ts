/**
 * The operation limits plugin (src/plugins/limits.ts `useOperationLimits`)
 * alone, on an in-memory schema with the cost and cache directives: each
 * limit (maxDepth, maxAliases, maxDirectives, maxCost, maxDocumentBytes,
 * maxTokens with Apollo's parseOptions) refuses with its code, HTTP status and
 * `extensions.limit` / `.value` before any resolver runs; `onAccepted` gets
 * the cost of accepted operations only; `exposeCost` adds `extensions.cost`;
 * the response's cache policy comes from the SDL hints; the documented
 * defaults are the ones src/config.ts gives.
 */
import type { ApolloServerPlugin } from '@apollo/server';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import type { GatewayContext } from '../../src/context.js';
import { countTokens, useOperationLimits, type OperationLimitsOptions } from '../../src/plugins/limits.js';
import { fakeContext, run, silentLogger, startServer, tinySchema, type Calls } from './helpers.js';

const GENEROUS = { maxCost: 1000, maxDepth: 10, maxAliases: 15, maxTokens: 2000, maxDirectives: 50, maxDocumentBytes: 100 * 1024 };

async function setup(limits: Partial<OperationLimitsOptions> = {}, extra: ApolloServerPlugin<GatewayContext>[] = []) {
  const calls: Calls = { hello: 0, items: 0, bump: 0, mine: 0 };
  const accepted: { requestId: string; cost: number }[] = [];
  const options: OperationLimitsOptions = {
    ...GENEROUS,
    analysisCacheMaxEntries: 100,
    exposeCost: false,
    logger: silentLogger(),
    onAccepted: async (context, cost) => void accepted.push({ requestId: context.requestId, cost }),
    ...limits,
  };
  const server = await startServer([useOperationLimits(options), ...extra], { schema: tinySchema(calls), maxTokens: options.maxTokens });
  return { server, calls, accepted };
}

describe('each limit refuses with its code, status and extensions before anything runs', () => {
  const cases = [
    { name: 'depth', limits: { maxDepth: 1 }, query: '{ item(id: "1") { parent { id } } }', code: 'DEPTH_LIMIT_EXCEEDED', what: 'depth', limit: 1, value: 2, status: 400 },
    { name: 'aliases', limits: { maxAliases: 1 }, query: '{ a: hello b: hello }', code: 'ALIAS_LIMIT_EXCEEDED', what: 'alias count', limit: 1, value: 2, status: 400 },
    {
      name: 'directives',
      limits: { maxDirectives: 1 },
      query: '{ hello @include(if: true) uncached @skip(if: false) }',
      code: 'DIRECTIVE_LIMIT_EXCEEDED',
      what: 'directive count',
      limit: 1,
      value: 2,
      status: 400,
    },
    { name: 'cost', limits: { maxCost: 4 }, query: '{ items(first: 5) { id } }', code: 'COST_LIMIT_EXCEEDED', what: 'estimated cost', limit: 4, value: 5, status: 400 },
    {
      name: 'document size',
      limits: { maxDocumentBytes: 20 },
      query: '{ hello(name: "123456789") }',
      code: 'DOCUMENT_TOO_LARGE',
      what: 'document size in bytes',
      limit: 20,
      value: 28,
      status: 413,
    },
  ];
  for (const { name, limits, query, code, what, limit, value, status } of cases) {
    it(name, async () => {
      const { server, calls, accepted } = await setup(limits);
      const sent = await run(server, { query });
      expect(sent.result.errors).toEqual([{ message: `The operation's ${what} is ${value}, over the limit of ${limit}.`, extensions: { limit, value, code } }]);
      expect(sent.status).toBe(status);
      expect(sent.result.data).toBeUndefined();
      expect(calls.hello + calls.items).toBe(0);
      expect(accepted).toEqual([]);
    });
  }

  it('exactly at each limit is accepted', async () => {
    const { server, accepted } = await setup({ maxDepth: 2, maxAliases: 2, maxDirectives: 2, maxCost: 5 });
    for (const query of ['{ item(id: "1") { parent { id } } }', '{ a: hello b: hello }', '{ hello @include(if: true) uncached @skip(if: false) }', '{ items(first: 5) { id } }']) {
      expect((await run(server, { query })).result.errors).toBeUndefined();
    }
    expect(accepted.map((entry) => entry.cost)).toEqual([2, 0, 0, 5]);
  });

  it('tokens: the lexer stops at maxTokens and the error says how many there are', async () => {
    const { server, calls } = await setup({ maxTokens: 5 });
    const query = '{ a: hello b: hello }';
    expect(countTokens(query)).toBe(8);
    const sent = await run(server, { query });
    expect(sent.result.errors).toEqual([{ message: 'The document has 8 tokens, over the limit of 5.', extensions: { code: 'TOKEN_LIMIT_EXCEEDED', limit: 5, value: 8 } }]);
    expect(calls.hello).toBe(0);
    expect((await run(server, { query: '{ hello }' })).result).toEqual({ data: { hello: 'Hello, world!' } });
  });

  it('introspection costs nothing and counts as one level of depth', async () => {
    const { server, accepted } = await setup({ maxDepth: 1, maxCost: 1 });
    const sent = await run(server, { query: '{ __schema { types { fields { type { name } } } } }' });
    expect(sent.result.errors).toBeUndefined();
    expect(accepted.map((entry) => entry.cost)).toEqual([0]);
  });
});

describe('onAccepted and exposeCost', () => {
  it('onAccepted receives the context and the cost; its error refuses the operation', async () => {
    const { server, accepted } = await setup();
    await run(server, { query: '{ items(first: 3) { id } }' }, fakeContext({ requestId: 'r-7' }));
    expect(accepted).toEqual([{ requestId: 'r-7', cost: 3 }]);

    const refusing = await setup({
      onAccepted: async () => {
        throw new Error('budget spent');
      },
    });
    const sent = await run(refusing.server, { query: '{ hello }' });
    expect(sent.result.errors?.[0]?.message).toBe('budget spent');
    expect(refusing.calls.hello).toBe(0);
  });

  it('exposeCost adds extensions.cost; off, nothing is added', async () => {
    const on = await setup({ exposeCost: true, maxCost: 500 });
    const sent = await run(on.server, { query: '{ items(first: 7) { id } }' });
    expect(sent.result.extensions).toEqual({ cost: { estimated: 7, max: 500, sqlRoundTrips: 1 } });
    const off = await setup({ exposeCost: false });
    expect((await run(off.server, { query: '{ items(first: 7) { id } }' })).result.extensions).toBeUndefined();
  });
});

describe('cache policy', () => {
  it('sets the response cache policy from the SDL hints (smallest maxAge, PRIVATE wins, unhinted is not cacheable)', async () => {
    const policies: unknown[] = [];
    const observer: ApolloServerPlugin<GatewayContext> = {
      async requestDidStart() {
        return {
          async willSendResponse({ overallCachePolicy }) {
            policies.push(overallCachePolicy.policyIfCacheable());
          },
        };
      },
    };
    const { server } = await setup({}, [observer]);
    await run(server, { query: '{ hello }' });
    await run(server, { query: '{ hello items(first: 2) { id name } }' });
    await run(server, { query: '{ hello mine }' });
    await run(server, { query: '{ hello uncached }' });
    expect(policies).toEqual([{ maxAge: 30, scope: 'PUBLIC' }, { maxAge: 30, scope: 'PUBLIC' }, { maxAge: 20, scope: 'PRIVATE' }, null]);
  });
});

describe('defaults', () => {
  it('are the ones the plugin documents, as src/config.ts loads them', () => {
    const config = loadConfig({ NODE_ENV: 'test' });
    expect({
      maxCost: config.maxCost,
      maxDepth: config.maxDepth,
      maxAliases: config.maxAliases,
      maxTokens: config.maxTokens,
      maxDirectives: config.maxDirectives,
      maxDocumentBytes: config.maxDocumentBytes,
    }).toEqual({ maxCost: 5000, maxDepth: 10, maxAliases: 15, maxTokens: 2000, maxDirectives: 50, maxDocumentBytes: 100 * 1024 });
  });
});
