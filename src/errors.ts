/**
 * The one way to raise an error a client is meant to see: `gatewayError(code, message, extensions)`.
 * Each code carries the HTTP status of the contract's error table; anything
 * thrown that is not made here is masked as INTERNAL_SERVER_ERROR by
 * src/plugins/errors.ts.
 *
 * Example:
 *   throw gatewayError('BAD_USER_INPUT', 'Argument "first" must be between 0 and 100, got 101.', { argument: 'first' });
 *
 * Before Apollo runs (the HTTP front), `sendError(res, code, message)`
 * answers with the same body shape and the code's status.
 */
import { HeaderMap } from '@apollo/server';
import type { ServerResponse } from 'node:http';
import Negotiator from 'negotiator';
import { GraphQLError } from 'graphql';

export const HTTP_STATUS_BY_CODE = {
  /** A request the HTTP layer cannot read (body, content type, persisted-query envelope); Apollo's own code. */
  BAD_REQUEST: 400,
  BAD_USER_INPUT: 200,
  UNAUTHENTICATED: 200,
  FORBIDDEN: 200,
  NOT_FOUND: 200,
  CONFLICT: 200,
  COST_LIMIT_EXCEEDED: 400,
  DEPTH_LIMIT_EXCEEDED: 400,
  ALIAS_LIMIT_EXCEEDED: 400,
  TOKEN_LIMIT_EXCEEDED: 400,
  DIRECTIVE_LIMIT_EXCEEDED: 400,
  DOCUMENT_TOO_LARGE: 413,
  RATE_LIMITED: 429,
  PERSISTED_QUERY_NOT_FOUND: 200,
  PERSISTED_QUERY_REQUIRED: 400,
  SERVICE_UNAVAILABLE: 503,
  INTERNAL_SERVER_ERROR: 500,
} as const;

export type ErrorCode = keyof typeof HTTP_STATUS_BY_CODE;

export function isGatewayErrorCode(code: unknown): code is ErrorCode {
  return typeof code === 'string' && Object.hasOwn(HTTP_STATUS_BY_CODE, code);
}

export function gatewayError(
  code: ErrorCode,
  message: string,
  extensions: Record<string, unknown> = {},
  headers: Record<string, string> = {},
): GraphQLError {
  const status = HTTP_STATUS_BY_CODE[code];
  return new GraphQLError(message, {
    // Apollo strips `http` before responding; without it an error thrown before execution would be a 500.
    extensions: { ...extensions, code, http: { status, headers: new HeaderMap(Object.entries(headers)) } },
  });
}

/** The media types a GraphQL response may be sent as, in Apollo's order of preference for `*\/*`. */
const RESPONSE_MEDIA_TYPES = ['application/json', 'application/graphql-response+json'];

/** The response media type `Accept` asks for, as Apollo negotiates it (application/json unless the client prefers the GraphQL one). */
export function responseMediaType(accept: string | undefined): string {
  if (accept === undefined) return RESPONSE_MEDIA_TYPES[0]!;
  return new Negotiator({ headers: { accept } }).mediaType(RESPONSE_MEDIA_TYPES) ?? RESPONSE_MEDIA_TYPES[0]!;
}

/**
 * Answers a request with one error, outside GraphQL execution, in the shape
 * Apollo uses: `{ errors: [{ message, extensions: { code, ...extensions } }] }`.
 * The status is the code's unless `status` says otherwise (e.g. 415 for BAD_REQUEST).
 * The content type is negotiated from `Accept` as Apollo does: a client that
 * prefers `application/graphql-response+json` (Apollo Client 4) gets it, and
 * so reads a 4xx as GraphQL errors rather than a transport failure.
 */
export function sendError(
  res: ServerResponse,
  code: ErrorCode,
  message: string,
  { extensions = {}, status, headers = {} }: { extensions?: Record<string, unknown>; status?: number; headers?: Record<string, string> } = {},
): void {
  const body = JSON.stringify({ errors: [{ message, extensions: { ...extensions, code } }] });
  res.writeHead(status ?? HTTP_STATUS_BY_CODE[code], {
    ...headers,
    'content-type': `${responseMediaType(res.req?.headers.accept)}; charset=utf-8`,
    'content-length': Buffer.byteLength(body),
  });
  res.end(body);
}
