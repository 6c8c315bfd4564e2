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
 * method and content type; `middleware` applies its decision to the Express
 * request (the approved fields replace the body or the search string), so
 * Apollo only ever sees an approved document. Apollo's own APQ is off
 * (`persistedQueries: false`) and so is its CSRF check
 * (`csrfPrevention: false`): both happen in that one decision.
 *
 * Options: `manifest` (hash to text), `store` (createApqStore),
 * `trustedOnly` (NODE_ENV=production), `allowRegistration`
 * (ALLOW_APQ_REGISTRATION: on in development, off in production).
 *
 * Example:
 *   const persisted = usePersistedDocuments({ manifest, store, trustedOnly: false, allowRegistration: true });
 *   app.use('/graphql', express.json({ verify: verifyBody }), persisted.middleware, graphqlHandler(apollo, …));
 *   new ApolloServer({ plugins: [persisted.plugin, …], persistedQueries: false, csrfPrevention: false });
 */
import type { ApolloServerPlugin } from '@apollo/server';
import type { RequestHandler } from 'express';
import type { GatewayContext } from '../context.js';
import { gatewayError, sendError } from '../errors.js';
import { resolveGraphqlRequest, searchOf, type GraphqlRequestRules, type PersistedDocument } from '../http/graphql-request.js';

export type { PersistedDocument } from '../http/graphql-request.js';

export type PersistedDocumentsOptions = GraphqlRequestRules;

export function usePersistedDocuments(rules: PersistedDocumentsOptions): {
  middleware: RequestHandler;
  plugin: ApolloServerPlugin<GatewayContext>;
} {
  const middleware: RequestHandler = async (req, res, next) => {
    const queryAt = req.url.indexOf('?');
    const decision = await resolveGraphqlRequest(
      { method: req.method, headers: req.headers, search: queryAt < 0 ? '' : req.url.slice(queryAt), body: req.body as unknown },
      rules,
    );
    if (decision.kind === 'pass') return next();
    if (decision.kind === 'refuse') {
      return sendError(res, decision.code, decision.message, {
        ...(decision.status !== undefined ? { status: decision.status } : {}),
        ...(decision.headers ? { headers: { ...decision.headers } } : {}),
      });
    }
    if (req.method === 'GET') {
      req.url = `${queryAt < 0 ? req.url : req.url.slice(0, queryAt)}${searchOf(decision.request)}`;
      // A GET has no body: its content type describes nothing Apollo should check.
      delete req.headers['content-type'];
    } else {
      req.body = decision.request;
    }
    if (decision.document) (res.locals as { persistedDocument?: PersistedDocument }).persistedDocument = decision.document;
    return next();
  };

  const plugin: ApolloServerPlugin<GatewayContext> = {
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

  return { middleware, plugin };
}
