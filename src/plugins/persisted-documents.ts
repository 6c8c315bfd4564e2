/**
 * usePersistedDocuments: which documents the gateway runs, and how clients
 * send them by hash.
 *
 * - Trusted documents: the manifest `npm run codegen` writes
 *   (operations/persisted-documents.json) is always accepted by hash.
 * - Automatic persisted queries (Apollo's protocol): a hash alone is looked up
 *   in the APQ store (Redis, shared by every instance); an unknown hash is
 *   `PERSISTED_QUERY_NOT_FOUND` with the message Apollo clients look for, so
 *   they re-send hash and query. That registers the document, but only for a
 *   caller with a valid token (UNAUTHENTICATED otherwise, before anything
 *   runs), and only once it has parsed, validated and passed the operation
 *   limits: it is stored in `responseForOperation`, which Apollo calls after
 *   every `didResolveOperation` hook accepted it, and the store is awaited,
 *   so the next request for the hash finds it on any instance.
 * - `trustedOnly` (production): a manifest document, or (with registration
 *   allowed) a registered one, or nothing: PERSISTED_QUERY_REQUIRED.
 *
 * What a request may run is decided by src/http/graphql-request.ts for every
 * method and content type, in the HTTP front (src/http/graphql-handler.ts),
 * which hands Apollo only the approved fields; this plugin registers APQ
 * documents. Apollo's own APQ is off (`persistedQueries: false`) and so is
 * its CSRF check (`csrfPrevention: false`): both happen in that one decision.
 *
 * Options: `manifest` (hash to text), `store` (createApqStore),
 * `trustedOnly` (NODE_ENV=production), `allowRegistration`
 * (ALLOW_APQ_REGISTRATION: on in development, off in production).
 *
 * Example:
 *   const rules = { manifest, store, trustedOnly: false, allowRegistration: true };
 *   graphqlHandler({ apollo, rules, … });  // the decision
 *   new ApolloServer({ plugins: [usePersistedDocuments(rules), …], persistedQueries: false, csrfPrevention: false });
 */
import type { ApolloServerPlugin } from '@apollo/server';
import type { GatewayContext } from '../context.js';
import { gatewayError } from '../errors.js';
import type { GraphqlRequestRules } from '../http/graphql-request.js';

export type { PersistedDocument } from '../http/graphql-request.js';

export type PersistedDocumentsOptions = GraphqlRequestRules;

export function usePersistedDocuments(rules: PersistedDocumentsOptions): ApolloServerPlugin<GatewayContext> {
  return {
    async requestDidStart({ contextValue }) {
      if (contextValue.persistedDocument?.source !== 'register') return;
      return {
        // Registration needs a valid token (the contract): refused before any limit, resolver or store.
        async didResolveOperation() {
          if (contextValue.viewer) return;
          throw (
            contextValue.authError ??
            gatewayError('UNAUTHENTICATED', 'Registering a persisted query needs a bearer token (Authorization: Bearer <token>).')
          );
        },
        // Called only after every didResolveOperation hook (the limits among them) accepted the operation.
        async responseForOperation({ source }) {
          if (source !== undefined) await rules.store.register(contextValue.persistedDocument!.hash, source);
          return null;
        },
      };
    },
  };
}
