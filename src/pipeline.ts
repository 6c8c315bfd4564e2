/**
 * The Apollo pipeline: the Apollo Server that parses, validates and runs the
 * plugins around execution (src/execution/executor.ts executes), with its
 * plugins as named stages in one checked order.
 *
 * The order matters where stages read what others settled:
 * - `persisted documents` before `response cache`: an APQ document is
 *   registered in responseForOperation, which a response-cache hit would
 *   otherwise answer first;
 * - `metrics` and `tracing` last: their willSendResponse reads the error
 *   codes and status every stage before them settled.
 * `createPipeline` refuses a stage it does not know and builds the list in
 * PIPELINE_ORDER whatever order it was given them in.
 *
 * Example:
 *   const apollo = createPipeline({ gateway: execution, production: true, …, stages: { 'operation checks': useOperationChecks(), … } });
 *   await apollo.start();
 */
import { ApolloServer, type ApolloServerPlugin } from '@apollo/server';
import type { GatewayInterface } from '@apollo/server-gateway-interface';
import type { GraphQLFormattedError } from 'graphql';
import type { GatewayContext } from './context.js';
import type { Logger } from './logger.js';
import { stringifyResult } from './plugins/response-cache.js';

/** Every stage, in the order Apollo runs their hooks. */
export const PIPELINE_ORDER = [
  'cache-control off',
  'drain',
  'landing page',
  'operation checks',
  'introspection auth',
  'limits',
  'error masking',
  'persisted documents',
  'sql count header',
  'response cache',
  'large bodies',
  'idempotency',
  'metrics',
  'tracing',
] as const;

export type StageName = (typeof PIPELINE_ORDER)[number];

export interface PipelineOptions {
  /** How documents execute (Apollo's gateway interface). */
  readonly gateway: GatewayInterface;
  readonly production: boolean;
  readonly logger: Logger;
  readonly maxTokens: number;
  readonly formatError: (formatted: GraphQLFormattedError, error?: unknown) => GraphQLFormattedError;
  readonly stages: Partial<Record<StageName, ApolloServerPlugin<GatewayContext>>>;
}

/** The plugins of `stages` in PIPELINE_ORDER; an unknown stage name is a programming error. */
export function orderedStages(stages: PipelineOptions['stages']): ApolloServerPlugin<GatewayContext>[] {
  for (const name of Object.keys(stages)) {
    if (!(PIPELINE_ORDER as readonly string[]).includes(name)) throw new Error(`Unknown pipeline stage "${name}"; add it to PIPELINE_ORDER.`);
  }
  return PIPELINE_ORDER.flatMap((name) => (stages[name] ? [stages[name]] : []));
}

export function createPipeline(options: PipelineOptions): ApolloServer<GatewayContext> {
  return new ApolloServer<GatewayContext>({
    gateway: options.gateway,
    introspection: !options.production,
    includeStacktraceInErrorResponses: false,
    // Apollo's own log lines (an unexpected error while processing a request) go through the same rules.
    logger: options.logger,
    formatError: options.formatError,
    // Apollo's JSON, except that a response-cache hit's data is written as the cached text (no parse, no stringify).
    stringifyResult,
    // CSRF prevention (Apollo's rule) and APQ are decided with the document, before Apollo (src/http/graphql-request.ts).
    csrfPrevention: false,
    persistedQueries: false,
    // The lexer stops counting here, before any syntax tree is built (the limits stage reports it).
    parseOptions: { maxTokens: options.maxTokens },
    // src/main.ts owns SIGTERM/SIGINT: readiness first, then this server's stop, then the pool.
    stopOnTerminationSignals: false,
    plugins: orderedStages(options.stages),
  });
}
