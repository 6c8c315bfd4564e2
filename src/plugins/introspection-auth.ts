/**
 * useIntrospectionAuth: introspection (`__schema`, `__type`) needs a token of
 * any role, as the contract's access section says; `__typename` stays free.
 * Runs after the operation is resolved, before any resolver or SQL.
 *
 * Options: none. Whether introspection is possible at all is Apollo's
 * `introspection` option (off in production).
 */
import type { ApolloServerPlugin } from '@apollo/server';
import { Kind, type DocumentNode, type FragmentDefinitionNode, type SelectionSetNode } from 'graphql';
import type { GatewayContext } from '../context.js';
import { gatewayError } from '../errors.js';

function selectsIntrospection(document: DocumentNode, selectionSet: SelectionSetNode, seen: Set<string>): boolean {
  const fragments = new Map(
    document.definitions
      .filter((definition): definition is FragmentDefinitionNode => definition.kind === Kind.FRAGMENT_DEFINITION)
      .map((fragment) => [fragment.name.value, fragment]),
  );
  return selectionSet.selections.some((selection) => {
    if (selection.kind === Kind.FIELD) {
      return selection.name.value === '__schema' || selection.name.value === '__type';
    }
    if (selection.kind === Kind.INLINE_FRAGMENT) return selectsIntrospection(document, selection.selectionSet, seen);
    const name = selection.name.value;
    const fragment = fragments.get(name);
    if (!fragment || seen.has(name)) return false;
    seen.add(name);
    return selectsIntrospection(document, fragment.selectionSet, seen);
  });
}

export function useIntrospectionAuth(): ApolloServerPlugin<GatewayContext> {
  return {
    async requestDidStart({ contextValue }) {
      // A caller with a token may introspect: nothing to check.
      if (contextValue.viewer) return;
      return {
        async didResolveOperation({ operation, document, contextValue }) {
          if (!operation) return;
          if (selectsIntrospection(document, operation.selectionSet, new Set())) {
            throw (
              contextValue.authError ??
              gatewayError('UNAUTHENTICATED', 'Introspection needs a bearer token (Authorization: Bearer <token>).')
            );
          }
        },
      };
    },
  };
}
