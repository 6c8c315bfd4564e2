/**
 * The one request fingerprint: what makes two GraphQL requests "the same
 * request" for the response cache, idempotency keys and the operation
 * analysis memo. It is the document's hash, the operation name and the
 * variables as canonical JSON (object keys sorted, by safe-stable-stringify,
 * which pino already depends on), so `{"a":1,"b":2}` and `{"b":2,"a":1}` are
 * the same request. The digest is a fixed 43 characters whatever the size of
 * the variables, so a memo keyed by it holds no client data.
 *
 * Example:
 *   requestFingerprint({ documentHash: queryHash, operationName: 'PatientList', variables: { first: 5 } })
 *   // 'Yp3k…' (base64url sha256)
 */
import { createHash } from 'node:crypto';
import { stringify } from 'safe-stable-stringify';

export interface FingerprintedRequest {
  /** sha256 of the document text (Apollo's `queryHash`). */
  readonly documentHash: string | undefined;
  readonly operationName: string | null | undefined;
  readonly variables: Readonly<Record<string, unknown>> | null | undefined;
}

/** JSON with object keys in sorted order; equal values give equal text. */
export function canonicalJson(value: unknown): string {
  return stringify(value) ?? 'null';
}

export function requestFingerprint({ documentHash, operationName, variables }: FingerprintedRequest): string {
  return createHash('sha256')
    .update(documentHash ?? '')
    .update('\n')
    .update(operationName ?? '')
    .update('\n')
    .update(canonicalJson(variables ?? {}))
    .digest('base64url');
}
