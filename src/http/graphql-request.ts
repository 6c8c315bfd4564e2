/**
 * What a /graphql HTTP request may run. Every request, whatever its method,
 * content type and fields, passes through `resolveGraphqlRequest` before
 * Apollo sees it, and the answer is either one refusal or one GraphQL request
 * built here: Apollo never reads a query text, search parameter or body field
 * this module has not approved, so no combination of transports can smuggle
 * a document past it.
 *
 * Steps, in order:
 * 1. Method: GET or POST (anything else is Apollo's 405).
 * 2. CSRF prevention, Apollo's rule: a "simple" request (GET, or a POST
 *    whose content type is missing or form/text) needs a non-empty
 *    `x-apollo-operation-name` or `apollo-require-preflight` header. One
 *    exception: a GET that names a persisted document by hash and carries no
 *    query text. It can only run a query already known to the server, the
 *    gateway's credentials are bearer tokens that a cross-site page cannot
 *    attach, and real clients send such GETs without a preflight header
 *    (Apollo Client's `useGETForHashedQueries`, urql's persisted exchange).
 * 3. The envelope: `query`, `documentId`, `extensions`, `operationName`,
 *    `variables` from the JSON body (POST, `application/json` only: 415
 *    otherwise) or the search parameters (GET; each at most once). A batch
 *    (a JSON array) is refused.
 * 4. The document: a hash (`extensions.persistedQuery.sha256Hash` or
 *    `documentId: "sha256:<hex>"`, which must agree) is resolved through the
 *    trusted-documents manifest, then the APQ store. A query text sent with a
 *    hash must be that hash's document. With `trustedOnly` (production) a
 *    request runs a manifest document, or a registered APQ document while
 *    registration is allowed, or nothing (PERSISTED_QUERY_REQUIRED).
 *
 * The approved request goes to Apollo as `{ query, operationName, variables,
 * extensions }` with the hash fields removed; for a GET, the search string is
 * rebuilt from those fields alone and the content-type header dropped (a GET
 * has no body to describe).
 *
 * Example:
 *   const decision = await resolveGraphqlRequest({ method: 'GET', headers, search: '?documentId=sha256:…', body: undefined }, rules);
 *   // { kind: 'run', request: { query: 'query EventPage…', variables: '{"id":"…"}' }, document: { hash, source: 'manifest' } }
 *   // or { kind: 'refuse', code: 'PERSISTED_QUERY_REQUIRED', message: '…', status: 400 }
 */
import type { ErrorCode } from '../errors.js';
import { MAX_JSON_DEPTH, nestsDeeperThan } from './body.js';
import type { ApqStore } from '../persisted/apq-store.js';
import { sha256Hex } from '../persisted/manifest.js';

/** How the request's document was found; in the context as `persistedDocument`. */
export interface PersistedDocument {
  readonly hash: string;
  /**
   * manifest: a trusted document; apq: registered earlier; register: sent with its hash, to be
   * registered (needs a token); unregistered: sent with its hash while registration is off (development only).
   */
  readonly source: 'manifest' | 'apq' | 'register' | 'unregistered';
}

export interface GraphqlRequestRules {
  /** Hash (lowercase hex sha256) to text: operations/persisted-documents.json. */
  readonly manifest: ReadonlyMap<string, string>;
  readonly store: ApqStore;
  /** NODE_ENV=production: trusted (or registered) documents only. */
  readonly trustedOnly: boolean;
  /** ALLOW_APQ_REGISTRATION. */
  readonly allowRegistration: boolean;
}

/** The parts of an HTTP request this module reads. `headers` are Node's (lowercase names). */
export interface HttpRequestParts {
  readonly method: string;
  readonly headers: Readonly<Record<string, string | string[] | undefined>>;
  /** The query string, with or without its leading `?`. */
  readonly search: string;
  /** The parsed JSON body (POST with application/json), else undefined. */
  readonly body: unknown;
}

/** The request Apollo is given: the approved document and the client's other fields. */
export interface ApprovedRequest {
  readonly query?: string;
  readonly operationName?: unknown;
  /** An object (POST) or the JSON text of one (GET), as the client sent it; Apollo checks and parses it. */
  readonly variables?: unknown;
  readonly extensions?: unknown;
}

export type RequestDecision =
  | { readonly kind: 'run'; readonly request: ApprovedRequest; readonly document: PersistedDocument | null }
  /** Development only: a GET without any GraphQL field (Apollo serves its landing page or its own error). */
  | { readonly kind: 'pass' }
  | {
      readonly kind: 'refuse';
      readonly code: ErrorCode;
      readonly message: string;
      readonly status?: number;
      readonly headers?: Readonly<Record<string, string>>;
    };

const SHA256_HEX = /^[0-9a-f]{64}$/;
const DOCUMENT_ID = /^sha256:([0-9a-f]{64})$/;
/** Apollo's CSRF prevention (preventCsrf.ts): these content types, or none, make a request "simple". */
const SIMPLE_CONTENT_TYPES = ['application/x-www-form-urlencoded', 'multipart/form-data', 'text/plain'];
const PREFLIGHT_HEADERS = ['x-apollo-operation-name', 'apollo-require-preflight'];
const ENVELOPE_FIELDS = ['query', 'documentId', 'extensions', 'operationName', 'variables'] as const;
const NOT_FOUND_HEADERS = { 'cache-control': 'private, no-cache, must-revalidate' };
/** RFC 9110 media type `type/subtype`; Apollo (whatwg-mimetype) lets a content type that does not parse through. */
const MEDIA_TYPE = /^[!#$%&'*+.^_`|~0-9a-z-]+\/[!#$%&'*+.^_`|~0-9a-z-]+$/;

const CSRF_MESSAGE =
  'This operation has been blocked as a potential Cross-Site Request Forgery (CSRF). Please either specify a ' +
  `'content-type' header (with a type that is not one of ${SIMPLE_CONTENT_TYPES.join(', ')}) or provide a non-empty ` +
  `value for one of the following headers: ${PREFLIGHT_HEADERS.join(', ')}\n`;

const TRUSTED_ONLY_MESSAGE =
  'This gateway runs only trusted documents: send the hash of a document from operations/persisted-documents.json ' +
  'as extensions.persistedQuery.sha256Hash or documentId "sha256:<hash>".';

type Refusal = Extract<RequestDecision, { kind: 'refuse' }>;

const refuse = (code: ErrorCode, message: string, extra: { status?: number; headers?: Record<string, string> } = {}): Refusal => ({
  kind: 'refuse',
  code,
  message,
  ...extra,
});

class EnvelopeError extends Error {
  constructor(
    message: string,
    readonly status = 400,
  ) {
    super(message);
  }
}

function header(headers: HttpRequestParts['headers'], name: string): string | undefined {
  const value = headers[name];
  return Array.isArray(value) ? value.join(', ') : value;
}

/** The media type of a Content-Type header, lowercased, or null when it does not parse; undefined when absent. */
export function mediaTypeOf(contentType: string | undefined): string | null | undefined {
  if (contentType === undefined) return undefined;
  const essence = contentType.split(';')[0]!.trim().toLowerCase();
  return MEDIA_TYPE.test(essence) ? essence : null;
}

/** Apollo's CSRF rule: true when a browser would have had to send a preflight for this request. */
function preflighted(headers: HttpRequestParts['headers']): boolean {
  const mediaType = mediaTypeOf(header(headers, 'content-type'));
  if (mediaType === null || (mediaType !== undefined && !SIMPLE_CONTENT_TYPES.includes(mediaType))) return true;
  return PREFLIGHT_HEADERS.some((name) => (header(headers, name) ?? '') !== '');
}

type Envelope = Partial<Record<(typeof ENVELOPE_FIELDS)[number], unknown>>;

function readSearch(search: string): Envelope {
  const params = new URLSearchParams(search.startsWith('?') ? search.slice(1) : search);
  const envelope: Envelope = {};
  for (const name of ENVELOPE_FIELDS) {
    const values = params.getAll(name);
    if (values.length > 1) throw new EnvelopeError(`The '${name}' search parameter may only be specified once.`);
    if (values.length === 1) envelope[name] = values[0];
  }
  // Apollo parses `variables` itself: refused here, before it is parsed and walked.
  for (const name of ['variables', 'extensions'] as const) {
    const value = envelope[name];
    if (typeof value === 'string' && nestsDeeperThan(Buffer.from(value, 'utf8'), MAX_JSON_DEPTH)) {
      throw new EnvelopeError(`The \`${name}\` search parameter nests objects and arrays deeper than ${MAX_JSON_DEPTH} levels.`);
    }
  }
  if (typeof envelope.extensions === 'string') {
    try {
      envelope.extensions = JSON.parse(envelope.extensions);
    } catch {
      throw new EnvelopeError('The `extensions` search parameter is not valid JSON.');
    }
  }
  return envelope;
}

function readBody(body: unknown): Envelope {
  if (Array.isArray(body)) throw new EnvelopeError('Operation batching disabled: send one operation per request.');
  if (body === null || typeof body !== 'object') {
    throw new EnvelopeError('POST body missing, invalid Content-Type, or JSON object has no keys.');
  }
  const envelope: Envelope = {};
  for (const name of ENVELOPE_FIELDS) if (Object.hasOwn(body, name)) envelope[name] = (body as Record<string, unknown>)[name];
  return envelope;
}

/** The hash the request names, from documentId or extensions.persistedQuery; undefined when it names none. */
function requestedHash(envelope: Envelope): string | undefined {
  let hash: string | undefined;
  if (envelope.documentId !== undefined && envelope.documentId !== null) {
    const match = typeof envelope.documentId === 'string' ? DOCUMENT_ID.exec(envelope.documentId) : null;
    if (!match) throw new EnvelopeError(`documentId must be "sha256:" and 64 lowercase hex digits, got ${JSON.stringify(envelope.documentId).slice(0, 80)}.`);
    hash = match[1];
  }
  const { extensions } = envelope;
  if (extensions !== undefined && extensions !== null && (typeof extensions !== 'object' || Array.isArray(extensions))) {
    throw new EnvelopeError('`extensions` must be an object if provided.');
  }
  const persisted = (extensions as { persistedQuery?: unknown } | null | undefined)?.persistedQuery;
  if (persisted === undefined || persisted === null) return hash;
  const { version, sha256Hash } = (typeof persisted === 'object' ? persisted : {}) as { version?: unknown; sha256Hash?: unknown };
  if (version !== 1) throw new EnvelopeError(`Unsupported persisted query version: expected 1, got ${JSON.stringify(version)}.`);
  if (typeof sha256Hash !== 'string' || !SHA256_HEX.test(sha256Hash)) {
    throw new EnvelopeError('extensions.persistedQuery.sha256Hash must be 64 lowercase hex digits.');
  }
  if (hash !== undefined && hash !== sha256Hash) throw new EnvelopeError('documentId and extensions.persistedQuery.sha256Hash name different documents.');
  return sha256Hash;
}

/** The client's fields without the hash ones, with `query` set to the approved text. */
function approved(envelope: Envelope, query: string | undefined): ApprovedRequest {
  const { extensions } = envelope;
  let otherExtensions: Record<string, unknown> | undefined;
  if (extensions !== undefined && extensions !== null) {
    const { persistedQuery: _hash, ...rest } = extensions as Record<string, unknown>;
    if (Object.keys(rest).length > 0) otherExtensions = rest;
  }
  return {
    ...(query !== undefined ? { query } : {}),
    ...(envelope.operationName !== undefined ? { operationName: envelope.operationName } : {}),
    ...(envelope.variables !== undefined ? { variables: envelope.variables } : {}),
    ...(otherExtensions ? { extensions: otherExtensions } : {}),
  };
}

/**
 * Decides what a /graphql request runs (see the module comment). Pure except for the APQ
 * store lookup; never throws for anything a client sends.
 */
export async function resolveGraphqlRequest(request: HttpRequestParts, rules: GraphqlRequestRules): Promise<RequestDecision> {
  const { method, headers } = request;
  if (method !== 'GET' && method !== 'POST') return { kind: 'pass' };
  let envelope: Envelope;
  let hash: string | undefined;
  try {
    if (method === 'GET') {
      envelope = readSearch(request.search);
    } else {
      const mediaType = mediaTypeOf(header(headers, 'content-type'));
      if (!preflighted(headers)) return refuse('BAD_REQUEST', CSRF_MESSAGE);
      if (mediaType !== 'application/json') {
        return refuse('BAD_REQUEST', 'POST requests must have Content-Type: application/json.', { status: 415 });
      }
      envelope = readBody(request.body);
    }
    hash = requestedHash(envelope);
  } catch (error) {
    if (error instanceof EnvelopeError) return refuse('BAD_REQUEST', error.message, { status: error.status });
    throw error;
  }

  const { query } = envelope;
  const hasText = query !== undefined && query !== null && query !== '';
  if (hasText && typeof query !== 'string') return refuse('BAD_REQUEST', 'GraphQL queries must be strings: query must be a string.');
  const text = hasText ? (query as string) : undefined;

  if (method === 'GET') {
    const named = hash !== undefined || text !== undefined || ENVELOPE_FIELDS.some((field) => envelope[field] !== undefined);
    if (!named) return rules.trustedOnly ? refuse('PERSISTED_QUERY_REQUIRED', TRUSTED_ONLY_MESSAGE) : { kind: 'pass' };
    // The one exception to CSRF prevention: a hash alone (see the module comment).
    const hashOnly = hash !== undefined && text === undefined;
    if (!hashOnly && !preflighted(headers)) return refuse('BAD_REQUEST', CSRF_MESSAGE);
  }

  if (hash === undefined) {
    if (rules.trustedOnly) return refuse('PERSISTED_QUERY_REQUIRED', TRUSTED_ONLY_MESSAGE);
    if (text === undefined) {
      const empty = method === 'POST' && Object.keys(request.body as object).length === 0;
      return refuse(
        'BAD_REQUEST',
        empty
          ? 'POST body missing, invalid Content-Type, or JSON object has no keys.'
          : 'GraphQL operations must contain a non-empty `query` or a `persistedQuery` extension.',
      );
    }
    return { kind: 'run', request: approved(envelope, text), document: null };
  }

  if (text !== undefined) {
    if (sha256Hex(text) !== hash) return refuse('BAD_REQUEST', 'provided sha does not match query');
    if (rules.manifest.has(hash)) return { kind: 'run', request: approved(envelope, text), document: { hash, source: 'manifest' } };
    if (rules.allowRegistration) return { kind: 'run', request: approved(envelope, text), document: { hash, source: 'register' } };
    if (rules.trustedOnly) return refuse('PERSISTED_QUERY_REQUIRED', TRUSTED_ONLY_MESSAGE);
    return { kind: 'run', request: approved(envelope, text), document: { hash, source: 'unregistered' } };
  }

  const trusted = rules.manifest.get(hash);
  if (trusted !== undefined) return { kind: 'run', request: approved(envelope, trusted), document: { hash, source: 'manifest' } };
  if (rules.trustedOnly && !rules.allowRegistration) return refuse('PERSISTED_QUERY_REQUIRED', TRUSTED_ONLY_MESSAGE);
  const registered = await rules.store.get(hash);
  if (registered === undefined) return refuse('PERSISTED_QUERY_NOT_FOUND', 'PersistedQueryNotFound', { headers: NOT_FOUND_HEADERS });
  return { kind: 'run', request: approved(envelope, registered), document: { hash, source: 'apq' } };
}

/** The search string (with `?`) Apollo reads for an approved GET: only the approved fields. */
export function searchOf(request: ApprovedRequest): string {
  const params = new URLSearchParams();
  for (const [name, value] of Object.entries(request)) {
    if (value === undefined) continue;
    params.set(name, typeof value === 'string' ? value : JSON.stringify(value));
  }
  const search = params.toString();
  return search === '' ? '' : `?${search}`;
}
