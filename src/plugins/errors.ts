/**
 * useErrorMasking: what leaves the server when something fails.
 *
 * Errors made with `gatewayError` (src/errors.ts) and Apollo's own request
 * errors pass through unchanged. Anything else (a SQL error, a bug, a null in
 * a non-null field) reaches the client as `INTERNAL_SERVER_ERROR` with a
 * generic message and the request id, and is logged in full with that id.
 * Invalid literal scalars in a document (`bornAfter: "yesterday"`) are
 * reported as BAD_USER_INPUT, like invalid variables.
 *
 * In production (`createErrorFormatter({ hideSuggestions: true })`) messages
 * carry no "Did you mean …?" suggestions: they would list schema names to a
 * client that only runs trusted documents.
 *
 * Options: `logger` (required). No defaults to tune: masking is always on,
 * in development too, because error text can carry SQL or row data.
 */
import type { ApolloServerPlugin } from '@apollo/server';
import { unwrapResolverError } from '@apollo/server/errors';
import type { GraphQLFormattedError } from 'graphql';
import { isUnavailable, referentialError } from '../db/transaction.js';
import type { GatewayContext } from '../context.js';
import { isGatewayErrorCode } from '../errors.js';
import type { Logger } from '../logger.js';

/** Codes Apollo Server itself raises for malformed requests; they describe the request, not the server. */
const APOLLO_REQUEST_CODES = new Set([
  'GRAPHQL_PARSE_FAILED',
  'GRAPHQL_VALIDATION_FAILED',
  'BAD_REQUEST',
  'OPERATION_RESOLUTION_FAILURE',
  'PERSISTED_QUERY_NOT_SUPPORTED',
]);

const INVALID_LITERAL = /^(Expected value of type|.* cannot represent)/;

function isExpected(code: unknown): boolean {
  return (isGatewayErrorCode(code) && code !== 'INTERNAL_SERVER_ERROR') || APOLLO_REQUEST_CODES.has(String(code));
}

/** graphql-js appends these to validation and coercion messages: ` Did you mean "name"?`, ` Did you mean the enum value "ACTIVE"?`. */
const SUGGESTION = /\s*Did you mean [^?]*\?/g;

/**
 * Apollo's `formatError`. With `hideSuggestions` (production), no message names schema elements the
 * client did not (graphql-js' "Did you mean …?" suggestions), whatever stage produced it.
 */
export function createErrorFormatter({ hideSuggestions }: { hideSuggestions: boolean }) {
  return (formatted: GraphQLFormattedError, error?: unknown): GraphQLFormattedError => {
    const result = formatError(formatted, error);
    if (!hideSuggestions) return result;
    const message = result.message.replace(SUGGESTION, '');
    return message === result.message ? result : { ...result, message };
  };
}

function formatError(formatted: GraphQLFormattedError, error?: unknown): GraphQLFormattedError {
  const code = formatted.extensions?.code;
  // A write outside a transaction that a foreign key refused (inTransaction maps its own).
  const referential = isExpected(code) ? null : referentialError(unwrapResolverError(error));
  if (referential) {
    return {
      message: referential.message,
      ...(formatted.locations ? { locations: formatted.locations } : {}),
      ...(formatted.path ? { path: formatted.path } : {}),
      extensions: { code: referential.extensions.code },
    };
  }
  if (!isExpected(code) && isUnavailable(unwrapResolverError(error))) {
    return {
      message: 'The database is unavailable; retry later.',
      ...(formatted.locations ? { locations: formatted.locations } : {}),
      ...(formatted.path ? { path: formatted.path } : {}),
      extensions: { code: 'SERVICE_UNAVAILABLE' },
    };
  }
  if (code === 'GRAPHQL_VALIDATION_FAILED' && INVALID_LITERAL.test(formatted.message)) {
    return { ...formatted, extensions: { ...formatted.extensions, code: 'BAD_USER_INPUT' } };
  }
  if (isExpected(code)) return formatted;
  return {
    message: 'Internal server error. The request id in the logs has the details.',
    ...(formatted.locations ? { locations: formatted.locations } : {}),
    ...(formatted.path ? { path: formatted.path } : {}),
    extensions: { code: 'INTERNAL_SERVER_ERROR' },
  };
}

/** True when the response carries no data: none at all, or null in every root field. */
function producedNoData(data: Record<string, unknown> | null | undefined): boolean {
  return data == null || Object.values(data).every((value) => value === null);
}

export function useErrorMasking(logger: Logger): ApolloServerPlugin<GatewayContext> {
  return {
    async requestDidStart() {
      return {
        async willSendResponse({ errors, response }) {
          // A bad literal is bad user input (200 in the contract), not a malformed document (Apollo's 400).
          const onlyBadLiterals =
            errors !== undefined &&
            errors.length > 0 &&
            errors.every(
              (error) => error.extensions?.code === 'GRAPHQL_VALIDATION_FAILED' && INVALID_LITERAL.test(error.message),
            );
          if (onlyBadLiterals) response.http.status = 200;
          // SERVICE_UNAVAILABLE is 503 only when no data could be produced (the contract): a
          // partial answer is still an answer (200), whatever status the failing field asked for.
          if (response.body.kind === 'single') {
            const { data, errors: sent } = response.body.singleResult;
            if (sent?.some((error) => error.extensions?.code === 'SERVICE_UNAVAILABLE')) {
              response.http.status = producedNoData(data) ? 503 : 200;
            }
          }
        },
        async didEncounterErrors({ errors, contextValue, request }) {
          for (const error of errors) {
            if (isExpected(error.extensions?.code) && !isUnavailable(error.originalError)) continue;
            if (referentialError(error.originalError)) continue;
            logger.error(
              {
                requestId: contextValue.requestId,
                operationName: request.operationName,
                path: error.path,
                err: error.originalError ?? error,
              },
              'unexpected error while executing an operation',
            );
          }
        },
      };
    },
  };
}
