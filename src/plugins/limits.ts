/**
 * useOperationLimits: refuses an operation over a limit before any resolver
 * or SQL runs, with the contract's code and `extensions.limit` / `.value`.
 *
 * - Tokens: the parser is given `maxTokens` (ApolloServer `parseOptions`), so
 *   the lexer stops at the limit before a syntax tree is built; this plugin
 *   turns that syntax error into TOKEN_LIMIT_EXCEEDED with the counted value.
 * - Document size (DOCUMENT_TOO_LARGE, 413), depth, aliases, directives and
 *   cost (src/limits/analysis.ts) are checked once the operation is known,
 *   with the request's variables, in `didResolveOperation`.
 * - Introspection costs nothing and counts as one level of depth.
 * - The same analysis gives the response's cache policy (the SDL's
 *   @cacheControl hints), set on Apollo's overallCachePolicy here.
 * - `onAccepted(context, cost)` runs for operations within every limit (the
 *   rate budget draws from it).
 * - With `exposeCost` (development), `extensions.cost` reports
 *   `{ estimated, max, sqlRoundTrips }`; the plan is logged at debug level.
 *
 * Options and defaults (src/config.ts): maxCost 5000, maxDepth 10,
 * maxAliases 15, maxTokens 2000, maxDirectives 50, maxDocumentBytes 100 KB.
 */
import type { ApolloServerPlugin } from '@apollo/server';
import { LRUCache } from 'lru-cache';
import { Lexer, Source, TokenKind, type DocumentNode, type GraphQLSchema, type OperationDefinitionNode } from 'graphql';
import type { Config } from '../config.js';
import type { GatewayContext } from '../context.js';
import { gatewayError, type ErrorCode } from '../errors.js';
import { requestFingerprint } from '../http/fingerprint.js';
import { analyzeOperation, type OperationAnalysis } from '../limits/analysis.js';
import type { Logger } from '../logger.js';

/** The limits, as the settings of src/config.ts name and document them. */
export type OperationLimits = Pick<
  Config,
  'maxCost' | 'maxDepth' | 'maxAliases' | 'maxTokens' | 'maxDirectives' | 'maxDocumentBytes'
>;

export interface OperationLimitsOptions extends OperationLimits {
  /** Analyses kept for repeated requests (ANALYSIS_CACHE_MAX_ENTRIES). */
  readonly analysisCacheMaxEntries: number;
  readonly exposeCost: boolean;
  readonly logger: Logger;
  readonly onAccepted?: (context: GatewayContext, cost: number) => Promise<void>;
}

// graphql 16.15 spells it "more that N tokens"; accept both.
const TOKEN_LIMIT_MESSAGE = /Document contains more tha[nt] (\d+) tokens/;

/** Tokens of `text` as the parser counts them (comments excluded), or null when it does not lex. */
export function countTokens(text: string): number | null {
  try {
    const lexer = new Lexer(new Source(text));
    let count = 0;
    while (lexer.advance().kind !== TokenKind.EOF) count += 1;
    return count;
  } catch {
    return null;
  }
}

function refuse(code: ErrorCode, what: string, limit: number, value: number): never {
  throw gatewayError(code, `The operation's ${what} is ${value}, over the limit of ${limit}.`, { limit, value });
}

export function useOperationLimits(options: OperationLimitsOptions): ApolloServerPlugin<GatewayContext> {
  let schema: GraphQLSchema;
  // The analysis depends only on the document, the operation and the variables it declares: a repeated request
  // (a cache hit especially) need not walk the document again. Keyed by the request fingerprint of the declared
  // variables only (a fixed-size digest), so neither undeclared nor large variables are kept.
  const memo = new LRUCache<string, OperationAnalysis>({ max: options.analysisCacheMaxEntries });
  const analyze = (queryHash: string | undefined, document: DocumentNode, operation: OperationDefinitionNode, variables: Record<string, unknown>) => {
    const declared: Record<string, unknown> = {};
    for (const definition of operation.variableDefinitions ?? []) {
      const name = definition.variable.name.value;
      if (Object.hasOwn(variables, name)) declared[name] = variables[name];
    }
    // No declared variables (most persisted documents): the document and operation are the whole key, no hashing.
    const key =
      operation.variableDefinitions === undefined || operation.variableDefinitions.length === 0
        ? `${queryHash}\n${operation.name?.value ?? ''}`
        : requestFingerprint({ documentHash: queryHash, operationName: operation.name?.value ?? '', variables: declared });
    let analysis = queryHash === undefined ? undefined : memo.get(key);
    if (!analysis) {
      analysis = analyzeOperation(schema, document, operation, declared);
      if (queryHash !== undefined) memo.set(key, analysis);
    }
    return analysis;
  };
  return {
    async serverWillStart(service) {
      schema = service.schema;
    },
    async requestDidStart() {
      let analysis: OperationAnalysis | null = null;
      return {
        async didResolveOperation({ source, queryHash, document, operation, request, contextValue, operationName, overallCachePolicy }) {
          if (!operation) return; // Apollo answers that itself
          const bytes = Buffer.byteLength(source, 'utf8');
          if (bytes > options.maxDocumentBytes) refuse('DOCUMENT_TOO_LARGE', 'document size in bytes', options.maxDocumentBytes, bytes);
          const measured = analyze(queryHash, document, operation, request.variables ?? {});
          analysis = measured;
          // The walk that costs the operation also yields its cache policy (SDL @cacheControl), which the
          // response cache and HTTP caching read; Apollo's per-field cacheControl hook is off (src/server.ts).
          overallCachePolicy.restrict(measured.cachePolicy ?? { maxAge: 0 });
          options.logger.debug({ operationName, ...measured }, 'operation plan');
          if (measured.depth > options.maxDepth) refuse('DEPTH_LIMIT_EXCEEDED', 'depth', options.maxDepth, measured.depth);
          if (measured.aliases > options.maxAliases) refuse('ALIAS_LIMIT_EXCEEDED', 'alias count', options.maxAliases, measured.aliases);
          if (measured.directives > options.maxDirectives) {
            refuse('DIRECTIVE_LIMIT_EXCEEDED', 'directive count', options.maxDirectives, measured.directives);
          }
          if (measured.cost > options.maxCost) refuse('COST_LIMIT_EXCEEDED', 'estimated cost', options.maxCost, measured.cost);
          await options.onAccepted?.(contextValue, measured.cost);
        },

        async willSendResponse({ response, source }) {
          if (response.body.kind !== 'single') return;
          const result = response.body.singleResult;
          if (result.errors?.length === 1 && source) {
            const [error] = result.errors;
            const match = error && TOKEN_LIMIT_MESSAGE.exec(error.message);
            if (match) {
              const value = countTokens(source) ?? Number(match[1]) + 1;
              const limit = options.maxTokens;
              result.errors = [
                {
                  message: `The document has ${value} tokens, over the limit of ${limit}.`,
                  extensions: { code: 'TOKEN_LIMIT_EXCEEDED', limit, value },
                },
              ];
            }
          }
          if (options.exposeCost && analysis) {
            result.extensions = {
              ...result.extensions,
              cost: { estimated: analysis.cost, max: options.maxCost, sqlRoundTrips: analysis.roundTrips },
            };
          }
        },
      };
    },
  };
}
