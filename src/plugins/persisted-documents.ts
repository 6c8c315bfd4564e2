/**
 * usePersistedDocuments: which documents the gateway runs, and how clients
 * send them by hash.
 *
 * - Trusted documents: the manifest `npm run codegen` writes
 *   (operations/persisted-documents.json) is always accepted by hash.
 * - Automatic persisted queries (Apollo's protocol): a hash alone is looked up
 *   in the APQ store (Redis, shared by every instance); an unknown hash is
 *   `PERSISTED_QUERY_NOT_FOUND` with the message Apollo clients look for, so
 *   they re-send hash and query; that registers the document, but only once
 *   it has parsed, validated and passed the operation limits (it is stored in
 *   `responseForOperation`, which Apollo calls after every `didResolveOperation`
 *   hook accepted it), and the store is awaited, so the next request for the
 *   hash finds it on any instance.
 * - A hash arrives as `extensions.persistedQuery { version: 1, sha256Hash }`
 *   or as GraphQL-over-HTTP's `documentId: "sha256:<hex>"`, over POST or GET.
 *   A query sent with a hash must hash to it.
 * - `trustedOnly` (production): anything but a manifest hash (or, with
 *   registration allowed, a registered or registering APQ document) is
 *   `PERSISTED_QUERY_REQUIRED` (400), before any parsing.
 *
 * Two parts, because Apollo's own APQ support runs before any plugin can
 * answer with an error of our choosing: `middleware` (Express, before Apollo)
 * resolves the hash to its text and rewrites the request so Apollo sees a
 * plain `query`; `plugin` registers APQ documents after the limits accepted
 * them. Apollo's built-in APQ is off (`persistedQueries: false`).
 *
 * Requests Apollo's CSRF prevention refuses (a GET or a form/text POST
 * without a preflight header) pass through untouched, so nothing is looked
 * up or stored for them; a POST whose body is not JSON is 415.
 *
 * `verifyBody` (express.json's `verify`, before the body is parsed) refuses
 * with 400 BAD_REQUEST a body that is not UTF-8 (the bytes, not a charset
 * label: invalid sequences would otherwise become U+FFFD and be stored as
 * such), that is not a JSON object or batch (`"text"`, `42`, `null`), or
 * that nests objects and arrays deeper than MAX_JSON_DEPTH levels (10,000
 * levels parse, but overflow the stack of every recursive walk after the
 * parser: JSON.stringify, variable coercion); another declared charset is
 * 415. The same depth applies to GET's `variables` and `extensions`.
 *
 * Options: `manifest` (hash to text), `store` (createApqStore),
 * `trustedOnly` (NODE_ENV=production), `allowRegistration`
 * (ALLOW_APQ_REGISTRATION: on in development, off in production).
 */
import { isUtf8 } from 'node:buffer';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { ApolloServerPlugin } from '@apollo/server';
import type { RequestHandler } from 'express';
import type { GatewayContext } from '../context.js';
import { sendError } from '../errors.js';
import type { ApqStore } from '../persisted/apq-store.js';
import { sha256Hex } from '../persisted/manifest.js';

export interface PersistedDocumentsOptions {
  readonly manifest: ReadonlyMap<string, string>;
  readonly store: ApqStore;
  readonly trustedOnly: boolean;
  readonly allowRegistration: boolean;
}

/** How the request's document was found; in the context as `persistedDocument`. */
export interface PersistedDocument {
  readonly hash: string;
  /** manifest: a trusted document; apq: registered earlier; register: sent with its hash, to be registered; unregistered: sent with its hash while registration is off (development only). */
  readonly source: 'manifest' | 'apq' | 'register' | 'unregistered';
}

const SHA256_HEX = /^[0-9a-f]{64}$/;
const DOCUMENT_ID = /^sha256:([0-9a-f]{64})$/;
// Apollo's CSRF prevention: these content types (or none) make a request "simple"; such requests need a preflight header.
const SIMPLE_CONTENT_TYPES = new Set(['application/x-www-form-urlencoded', 'multipart/form-data', 'text/plain']);
const PREFLIGHT_HEADERS = ['x-apollo-operation-name', 'apollo-require-preflight'];
const NOT_FOUND_HEADERS = { 'cache-control': 'private, no-cache, must-revalidate' };

interface Envelope {
  query?: unknown;
  documentId?: unknown;
  extensions?: unknown;
  [field: string]: unknown;
}

class EnvelopeError extends Error {}

/** The deepest nesting of objects and arrays a request may carry (the contract's inputs need 5). */
export const MAX_JSON_DEPTH = 64;

/**
 * A body refused by `verifyBody`. body-parser passes it on with this status and type; the
 * server's body error handler (handleBodyErrors in src/server.ts) answers BAD_REQUEST with the message.
 */
class BodyError extends Error {
  readonly type = 'gateway.body.refused';
  constructor(
    message: string,
    readonly status = 400,
  ) {
    super(message);
  }
}

const BYTE = { quote: 0x22, backslash: 0x5c, openArray: 0x5b, closeArray: 0x5d, openObject: 0x7b, closeObject: 0x7d };

/** Whether JSON text nests objects and arrays deeper than `max`; strings are skipped, so `"[[["` is depth 0. */
function nestsDeeperThan(json: Uint8Array, max: number): boolean {
  let depth = 0;
  let inString = false;
  for (let index = 0; index < json.length; index += 1) {
    const byte = json[index];
    if (inString) {
      if (byte === BYTE.backslash) index += 1;
      else if (byte === BYTE.quote) inString = false;
    } else if (byte === BYTE.quote) {
      inString = true;
    } else if (byte === BYTE.openArray || byte === BYTE.openObject) {
      if (++depth > max) return true;
    } else if (byte === BYTE.closeArray || byte === BYTE.closeObject) {
      depth -= 1;
    }
  }
  return false;
}

/** The first byte that is not JSON whitespace (after a UTF-8 byte order mark, which the decoder drops), or undefined. */
function firstSignificantByte(body: Uint8Array): number | undefined {
  let index = body[0] === 0xef && body[1] === 0xbb && body[2] === 0xbf ? 3 : 0;
  while (index < body.length && (body[index] === 0x20 || body[index] === 0x09 || body[index] === 0x0a || body[index] === 0x0d)) index += 1;
  return body[index];
}

/** express.json's `verify`: see the module comment. An empty body passes (Apollo answers it). */
export function verifyBody(_req: IncomingMessage, _res: ServerResponse, body: Buffer, encoding: string | null): void {
  if (encoding !== null && encoding !== 'utf-8') {
    throw new BodyError(`The request body must be UTF-8 JSON (application/json; charset=utf-8), got charset ${encoding}.`, 415);
  }
  if (!isUtf8(body)) throw new BodyError('The request body is not valid UTF-8.');
  const first = firstSignificantByte(body);
  if (first !== undefined && first !== BYTE.openObject && first !== BYTE.openArray) {
    throw new BodyError('The request body must be a JSON object: {"query": "...", "variables": {...}, "operationName": "...", "extensions": {...}}.');
  }
  if (nestsDeeperThan(body, MAX_JSON_DEPTH)) {
    throw new BodyError(`The request body nests objects and arrays deeper than ${MAX_JSON_DEPTH} levels.`);
  }
}

function isSimpleRequest(headers: Record<string, string | string[] | undefined>, method: string): boolean {
  const contentType = headers['content-type'];
  const mediaType = typeof contentType === 'string' ? contentType.split(';')[0]!.trim().toLowerCase() : undefined;
  const simple = method === 'GET' || mediaType === undefined || SIMPLE_CONTENT_TYPES.has(mediaType);
  return simple && !PREFLIGHT_HEADERS.some((name) => typeof headers[name] === 'string' && headers[name] !== '');
}

/** The request's fields, from the JSON body (POST) or the search parameters (GET, JSON-encoded where structured). */
function readEnvelope(method: string, url: string, body: unknown): Envelope | null {
  if (method === 'POST') return body !== null && typeof body === 'object' && !Array.isArray(body) ? (body as Envelope) : null;
  const params = new URL(url, 'http://gateway').searchParams;
  const envelope: Envelope = {};
  for (const [name, value] of params) envelope[name] = value;
  // Apollo parses `variables` itself: refused here, before it is parsed and walked.
  for (const name of ['variables', 'extensions']) {
    for (const value of params.getAll(name)) {
      if (nestsDeeperThan(Buffer.from(value, 'utf8'), MAX_JSON_DEPTH)) {
        throw new EnvelopeError(`The \`${name}\` search parameter nests objects and arrays deeper than ${MAX_JSON_DEPTH} levels.`);
      }
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

/** The hash the request names, from documentId or extensions.persistedQuery; undefined when it names none. */
function requestedHash(envelope: Envelope): string | undefined {
  let hash: string | undefined;
  if (envelope.documentId !== undefined && envelope.documentId !== null) {
    const match = typeof envelope.documentId === 'string' ? DOCUMENT_ID.exec(envelope.documentId) : null;
    if (!match) throw new EnvelopeError(`documentId must be "sha256:" and 64 lowercase hex digits, got ${JSON.stringify(envelope.documentId).slice(0, 80)}.`);
    hash = match[1];
  }
  const extensions = envelope.extensions;
  const persisted = extensions !== null && typeof extensions === 'object' ? (extensions as { persistedQuery?: unknown }).persistedQuery : undefined;
  if (persisted === undefined || persisted === null) return hash;
  const { version, sha256Hash } = persisted as { version?: unknown; sha256Hash?: unknown };
  if (version !== 1) throw new EnvelopeError(`Unsupported persisted query version: expected 1, got ${JSON.stringify(version)}.`);
  if (typeof sha256Hash !== 'string' || !SHA256_HEX.test(sha256Hash)) {
    throw new EnvelopeError('extensions.persistedQuery.sha256Hash must be 64 lowercase hex digits.');
  }
  if (hash !== undefined && hash !== sha256Hash) throw new EnvelopeError('documentId and extensions.persistedQuery.sha256Hash name different documents.');
  return sha256Hash;
}

/** The same request with the document's text as `query` and no hash fields, as Apollo expects it. */
function rewrite(method: string, url: string, envelope: Envelope, text: string): { url: string; body: Envelope } {
  const { documentId: _documentId, extensions, ...rest } = envelope;
  const { persistedQuery: _persistedQuery, ...otherExtensions } = (extensions ?? {}) as Record<string, unknown>;
  const body: Envelope = { ...rest, query: text, ...(Object.keys(otherExtensions).length > 0 ? { extensions: otherExtensions } : {}) };
  if (method === 'POST') return { url, body };
  const [path] = url.split('?');
  const params = new URLSearchParams();
  for (const [name, value] of Object.entries(body)) {
    params.set(name, typeof value === 'string' ? value : JSON.stringify(value));
  }
  return { url: `${path}?${params.toString()}`, body };
}

export function usePersistedDocuments({ manifest, store, trustedOnly, allowRegistration }: PersistedDocumentsOptions): {
  middleware: RequestHandler;
  plugin: ApolloServerPlugin<GatewayContext>;
  /** For express.json's `verify` option (see the module comment). */
  verifyBody: typeof verifyBody;
} {
  const required = () =>
    'This gateway runs only trusted documents: send the hash of a document from operations/persisted-documents.json ' +
    'as extensions.persistedQuery.sha256Hash or documentId "sha256:<hash>".';

  const middleware: RequestHandler = async (req, res, next) => {
    if (req.method !== 'GET' && req.method !== 'POST') return next();
    const simple = isSimpleRequest(req.headers, req.method);
    if (req.method === 'POST' && !simple && !req.is('application/json')) {
      return sendError(res, 'BAD_REQUEST', 'POST requests must have Content-Type: application/json.', { status: 415 });
    }
    let envelope: Envelope | null;
    let hash: string | undefined;
    try {
      envelope = readEnvelope(req.method, req.url, req.body);
      hash = envelope ? requestedHash(envelope) : undefined;
    } catch (error) {
      if (error instanceof EnvelopeError) return sendError(res, 'BAD_REQUEST', error.message);
      throw error;
    }
    // In production a GET naming no document (a browser asking for the landing page included) is refused outright.
    if (trustedOnly && req.method === 'GET' && hash === undefined) return sendError(res, 'PERSISTED_QUERY_REQUIRED', required());
    // Apollo answers these with its CSRF refusal; nothing is looked up or stored for them.
    if (simple) return next();
    // A batch or an unreadable body: Apollo refuses it with its own message.
    if (envelope === null) return next();
    if (hash === undefined) {
      if (trustedOnly) return sendError(res, 'PERSISTED_QUERY_REQUIRED', required());
      return next();
    }

    let text: string | undefined;
    let source: PersistedDocument['source'];
    const { query } = envelope;
    if (query !== undefined && query !== null && query !== '') {
      if (typeof query !== 'string') return sendError(res, 'BAD_REQUEST', 'query must be a string.');
      if (sha256Hex(query) !== hash) return sendError(res, 'BAD_REQUEST', 'provided sha does not match query');
      text = query;
      source = manifest.has(hash) ? 'manifest' : allowRegistration ? 'register' : 'unregistered';
      if (source === 'unregistered' && trustedOnly) return sendError(res, 'PERSISTED_QUERY_REQUIRED', required());
    } else if ((text = manifest.get(hash)) !== undefined) {
      source = 'manifest';
    } else {
      if (trustedOnly && !allowRegistration) return sendError(res, 'PERSISTED_QUERY_REQUIRED', required());
      text = await store.get(hash);
      if (text === undefined) return sendError(res, 'PERSISTED_QUERY_NOT_FOUND', 'PersistedQueryNotFound', { headers: NOT_FOUND_HEADERS });
      source = 'apq';
    }
    const rewritten = rewrite(req.method, req.url, envelope, text);
    req.url = rewritten.url;
    if (req.method === 'POST') req.body = rewritten.body;
    res.locals.persistedDocument = { hash, source } satisfies PersistedDocument;
    return next();
  };

  const plugin: ApolloServerPlugin<GatewayContext> = {
    async requestDidStart() {
      return {
        // Called only after every didResolveOperation hook (the limits among them) accepted the operation.
        async responseForOperation({ contextValue, source }) {
          const document = contextValue.persistedDocument;
          if (document?.source === 'register' && source !== undefined) await store.register(document.hash, source);
          return null;
        },
      };
    },
  };

  return { middleware, plugin, verifyBody };
}
