/**
 * How a document is executed: a plan per document, compiled once.
 *
 * Persisted and APQ documents are few and repeat, so each (document,
 * operation) is compiled once by graphql-jit into a JavaScript function that
 * reads trivial fields as plain properties, calls only the real resolvers,
 * and builds no resolve-info, promise or path object for a field that does
 * not need one. The compiled plan is kept in an LRU (PLAN_CACHE_MAX_ENTRIES)
 * by the document's hash and operation name, and reused by every later
 * request for it.
 *
 * graphql-js stays the fallback: a document graphql-jit refuses to compile,
 * one that uses @skip/@include, or one too large with its fragments expanded
 * is executed by graphql-js `execute`, and GRAPHQL_EXECUTOR=graphql-js uses
 * it for everything. Both give the same answers and the same errors
 * (test/executors.test.ts runs the suites' documents through both).
 *
 * It plugs into Apollo Server 5 as a gateway (`gateway.load()` returning an
 * `executor`): Apollo still parses, validates, runs every plugin hook and
 * formats the response; only execution is ours.
 *
 * Example:
 *   const gateway = createExecutionGateway(schema, { engine: 'jit', maxPlans: 1000 });
 *   new ApolloServer({ gateway, ... });
 */
import type { GatewayExecutor, GatewayInterface } from '@apollo/server-gateway-interface';
import { BREAK, execute, GraphQLError, Kind, visit, type DocumentNode, type ExecutionResult, type GraphQLSchema, type SelectionSetNode } from 'graphql';
import { compileQuery, isCompiledQuery, type CompiledQuery } from 'graphql-jit';
import { LRUCache } from 'lru-cache';

export type ExecutionEngine = 'jit' | 'graphql-js';

export interface ExecutionOptions {
  /** GRAPHQL_EXECUTOR: 'jit' compiles each document once (graphql-js for what it refuses); 'graphql-js' interprets. */
  readonly engine: ExecutionEngine;
  /** PLAN_CACHE_MAX_ENTRIES: compiled plans kept (by document hash and operation name). */
  readonly maxPlans: number;
  /** PLAN_COMPILE_AFTER_USES: a document is compiled on its n-th execution (the ones before are interpreted). */
  readonly compileAfterUses: number;
}

/** A compiled document, or null when it is interpreted by graphql-js (refused by graphql-jit, or too large expanded). */
type Plan = CompiledQuery | null;

/**
 * The most fields a document may have with its fragments expanded for graphql-jit to compile it. graphql-jit
 * expands every spread (a fragment spread three times per level, 12 levels deep, takes it 0.6 s; 18 levels, minutes),
 * while graphql-js executes the same document in linear time, so larger ones are interpreted.
 */
const MAX_COMPILED_FIELDS = 5000;

/**
 * Whether the document uses @skip or @include. graphql-jit merges a field selected both inside a skipped
 * fragment and outside it with the skipped one's subfields (its path-based mode too), where graphql-js
 * leaves them out (test/cost-property.test.ts found it); such documents are interpreted.
 */
function hasConditionalSelections(document: DocumentNode): boolean {
  let found = false;
  visit(document, {
    Directive(node) {
      if (node.name.value === 'skip' || node.name.value === 'include') {
        found = true;
        return BREAK;
      }
      return undefined;
    },
  });
  return found;
}

/** Fields of the operation with every fragment spread expanded, counted in linear time (memoized per fragment); capped. */
function expandedFields(document: DocumentNode, selectionSet: SelectionSetNode, cap: number): number {
  const fragments = new Map<string, SelectionSetNode>();
  for (const definition of document.definitions) {
    if (definition.kind === Kind.FRAGMENT_DEFINITION) fragments.set(definition.name.value, definition.selectionSet);
  }
  const sizes = new Map<string, number>();
  const sizeOf = (set: SelectionSetNode, depth: number): number => {
    if (depth > 100) return cap;
    let total = 0;
    for (const selection of set.selections) {
      if (selection.kind === Kind.FIELD) total += 1 + (selection.selectionSet ? sizeOf(selection.selectionSet, depth + 1) : 0);
      else if (selection.kind === Kind.INLINE_FRAGMENT) total += sizeOf(selection.selectionSet, depth + 1);
      else {
        const name = selection.name.value;
        let size = sizes.get(name);
        if (size === undefined) {
          sizes.set(name, cap); // a cycle counts as too large (validation refuses it anyway)
          const fragment = fragments.get(name);
          size = fragment ? sizeOf(fragment, depth + 1) : 0;
          sizes.set(name, size);
        }
        total += size;
      }
      if (total >= cap) return cap;
    }
    return total;
  };
  return sizeOf(selectionSet, 0);
}

/**
 * A field error as graphql-js would have built it. graphql-jit's own error objects have no `extensions` when the
 * resolver threw a plain Error, and Apollo's error formatting reads `extensions.code` of every error; graphql-js
 * gives a located error the extensions of what the resolver threw, or `{}`.
 */
function asGraphQLError(error: GraphQLError): GraphQLError {
  if (error.extensions !== undefined && error instanceof GraphQLError && error.constructor === GraphQLError) return error;
  const original = error.originalError;
  const normalized = new GraphQLError(error.message, {
    ...(error.path ? { path: error.path } : {}),
    ...(original ? { originalError: original } : {}),
    extensions: (original as GraphQLError | undefined)?.extensions ?? error.extensions ?? {},
  });
  if (error.locations) Object.defineProperty(normalized, 'locations', { value: error.locations, enumerable: true });
  return normalized;
}

export interface ExecutionGateway extends GatewayInterface {
  /** The executable schema plans are compiled against. */
  readonly schema: GraphQLSchema;
  /** How many plans are compiled and kept (for /metrics and tests). */
  readonly planCount: () => number;
  /** Executes one operation as Apollo's executor would, outside Apollo (tests compare the engines with it). */
  executeWith(
    engine: ExecutionEngine,
    args: { document: DocumentNode; operationName: string | null; variables: Record<string, unknown> | undefined; contextValue: unknown },
  ): Promise<ExecutionResult>;
}

export function createExecutionGateway(schema: GraphQLSchema, options: ExecutionOptions): ExecutionGateway {
  const plans = new LRUCache<string, { plan: Plan | undefined; uses: number }>({ max: options.maxPlans });
  // The same DocumentNode (Apollo keeps one per query hash) finds its plan without hashing anything.
  const byDocument = new WeakMap<DocumentNode, Map<string, Plan>>();
  let onSchema: ((context: { apiSchema: GraphQLSchema; coreSupergraphSdl: string }) => void) | null = null;

  const compile = (document: DocumentNode, operationName: string | null): Plan => {
    const operation = document.definitions.find(
      (definition) => definition.kind === Kind.OPERATION_DEFINITION && (operationName === null || definition.name?.value === operationName),
    );
    if (!operation || operation.kind !== Kind.OPERATION_DEFINITION) return null;
    if (expandedFields(document, operation.selectionSet, MAX_COMPILED_FIELDS) >= MAX_COMPILED_FIELDS) return null;
    if (hasConditionalSelections(document)) return null;
    const compiled = compileQuery(schema, document, operationName ?? undefined, {
      // Errors need no stack (they are masked or carry a code); capturing one per error is measurable.
      disablingCapturingStackErrors: true,
    });
    return isCompiledQuery(compiled) ? compiled : null;
  };

  /**
   * The plan of a document: by its node (no hashing), else by hash (a re-parsed document). A document is
   * interpreted until its `compileAfterUses`-th execution: one seen once is cheaper to interpret than to compile.
   */
  const planFor = (queryHash: string | null, document: DocumentNode, operationName: string | null): Plan => {
    const name = operationName ?? '';
    const known = byDocument.get(document)?.get(name);
    if (known !== undefined) return known;
    if (queryHash === null) return compile(document, operationName);
    const key = `${queryHash}\n${name}`;
    let entry = plans.get(key);
    if (!entry) plans.set(key, (entry = { plan: undefined, uses: 0 }));
    entry.uses += 1;
    if (entry.plan === undefined) {
      if (entry.uses < options.compileAfterUses) return null;
      entry.plan = compile(document, operationName);
    }
    let perDocument = byDocument.get(document);
    if (!perDocument) byDocument.set(document, (perDocument = new Map()));
    perDocument.set(name, entry.plan);
    return entry.plan;
  };

  const interpret = (document: DocumentNode, operationName: string | null, variables: Record<string, unknown> | undefined, contextValue: unknown) =>
    execute({ schema, document, operationName, variableValues: variables ?? null, contextValue });

  const run = async (
    engine: ExecutionEngine,
    queryHash: string | null,
    document: DocumentNode,
    operationName: string | null,
    variables: Record<string, unknown> | undefined,
    contextValue: unknown,
  ): Promise<ExecutionResult> => {
    const plan = engine === 'jit' ? planFor(queryHash, document, operationName) : null;
    if (plan === null) return interpret(document, operationName, variables, contextValue);
    const result = await plan.query(undefined, contextValue, variables ?? {});
    // No data at all: the variables failed coercion before anything ran. graphql-js words (and locates) those
    // errors as the contract's BAD_USER_INPUT expects, so it answers them; it stops before any resolver too.
    if (result.data === undefined && result.errors) return interpret(document, operationName, variables, contextValue);
    return result.errors ? { ...result, errors: result.errors.map(asGraphQLError) } : result;
  };

  const executor: GatewayExecutor = async (requestContext) => {
    const requested = requestContext.request.operationName ?? null;
    // No operation resolved (an unknown operationName, or several operations without one): graphql-js reports it
    // without running anything, and Apollo answers OPERATION_RESOLUTION_FAILURE. Apollo's `operationName` is then
    // null, which would pick the first operation; the client's requested name is what counts.
    if (!requestContext.operation) return interpret(requestContext.document, requested, requestContext.request.variables, requestContext.context);
    return run(options.engine, requestContext.queryHash, requestContext.document, requested, requestContext.request.variables, requestContext.context);
  };

  return {
    schema,
    onSchemaLoadOrUpdate(callback) {
      onSchema = callback;
      return () => {
        onSchema = null;
      };
    },
    async load() {
      onSchema?.({ apiSchema: schema, coreSupergraphSdl: '' });
      return { executor };
    },
    async stop() {
      plans.clear();
    },
    planCount: () => plans.size,
    executeWith: (engine, { document, operationName, variables, contextValue }) =>
      run(engine, null, document, operationName, variables, contextValue),
  };
}
