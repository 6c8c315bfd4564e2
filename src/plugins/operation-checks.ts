/**
 * useOperationChecks: client mistakes that graphql-js only discovers while
 * executing (where they would surface as a masked INTERNAL_SERVER_ERROR),
 * refused before execution with BAD_REQUEST (400), as the contract's error
 * table says:
 *
 * - A `subscription` operation: subscriptions are not served over HTTP.
 * - A variable sent as `null` where the document uses it in a non-null
 *   position. Validation allows `query ($id: ID = "…") { patient(id: $id) }`
 *   because the variable has a default, but a null sent explicitly replaces
 *   the default and reaches `id: ID!` as null.
 *
 * The variable usages of each operation are found once per parsed document
 * (graphql-js ValidationContext.getRecursiveVariableUsages, fragments
 * included) and kept in a WeakMap on Apollo's cached DocumentNode, so a
 * request only looks up its variables.
 *
 * Options: none.
 *
 * Example:
 *   plugins: [useOperationChecks(), useOperationLimits(…), …]  // first: the others may assume a servable operation
 *   // query ($id: ID = "UGF0aWVudDox") { patient(id: $id) { name } } with { "id": null }
 *   // -> 400 { errors: [{ message: 'Variable "$id" is null, but …', extensions: { code: 'BAD_REQUEST' } }] }
 */
import type { ApolloServerPlugin } from '@apollo/server';
import {
  TypeInfo,
  ValidationContext,
  type DocumentNode,
  type GraphQLSchema,
  type OperationDefinitionNode,
} from 'graphql';
import type { GatewayContext } from '../context.js';
import { gatewayError } from '../errors.js';

/** A variable used where null is not allowed, though its declared type is nullable (it has a default). */
interface NonNullUsage {
  readonly variable: string;
  readonly locationType: string;
}

const isNonNull = (type: unknown) => Object.prototype.toString.call(type) === '[object GraphQLNonNull]';

function nonNullUsages(schema: GraphQLSchema, document: DocumentNode, operation: OperationDefinitionNode): NonNullUsage[] {
  const declaredNullable = new Set(
    (operation.variableDefinitions ?? []).filter((definition) => definition.type.kind !== 'NonNullType').map((definition) => definition.variable.name.value),
  );
  if (declaredNullable.size === 0) return [];
  const context = new ValidationContext(schema, document, new TypeInfo(schema), () => undefined);
  const usages: NonNullUsage[] = [];
  for (const usage of context.getRecursiveVariableUsages(operation)) {
    const name = usage.node.name.value;
    if (declaredNullable.has(name) && isNonNull(usage.type)) usages.push({ variable: name, locationType: String(usage.type) });
  }
  return usages;
}

export function useOperationChecks(): ApolloServerPlugin<GatewayContext> {
  let schema: GraphQLSchema;
  const usagesByDocument = new WeakMap<DocumentNode, Map<OperationDefinitionNode, NonNullUsage[]>>();
  const usagesOf = (document: DocumentNode, operation: OperationDefinitionNode): NonNullUsage[] => {
    let byOperation = usagesByDocument.get(document);
    if (!byOperation) usagesByDocument.set(document, (byOperation = new Map()));
    let usages = byOperation.get(operation);
    if (!usages) byOperation.set(operation, (usages = nonNullUsages(schema, document, operation)));
    return usages;
  };
  return {
    async serverWillStart(service) {
      schema = service.schema;
    },
    async requestDidStart() {
      return {
        async didResolveOperation({ document, operation, request }) {
          if (!operation) return; // Apollo answers that itself (OPERATION_RESOLUTION_FAILURE)
          if (operation.operation === 'subscription') {
            throw gatewayError('BAD_REQUEST', 'Subscriptions are not served over HTTP; send a query or a mutation.');
          }
          const variables = request.variables ?? {};
          for (const usage of usagesOf(document, operation)) {
            if (Object.hasOwn(variables, usage.variable) && variables[usage.variable] === null) {
              throw gatewayError(
                'BAD_REQUEST',
                `Variable "$${usage.variable}" is null, but it is used where null is not allowed (${usage.locationType}); ` +
                  'omit it to use its default, or send a value.',
                { variable: usage.variable },
              );
            }
          }
        },
      };
    },
  };
}
