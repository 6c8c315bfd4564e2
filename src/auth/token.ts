/**
 * Bearer tokens: HS256 JWTs with `sub` (for clinicians, their Clinician global
 * id), `role`, `exp` and, for patients, `patientId` (the patient's global id).
 * `viewerFromAuthorization` turns an Authorization header into the Viewer the
 * resolvers and access rules see.
 *
 * Example:
 *   const token = await signToken({ role: 'patient', sub: 'user-7', patientId: toGlobalId('Patient', 7) }, secret, 3600);
 *   new TokenVerifier(tokenRulesOf(config)).viewerOf(`Bearer ${token}`) // { viewer: { role: 'patient', subject: 'user-7', patientId: 7 } }
 *
 * A token is refused (UNAUTHENTICATED) when its signature, `exp` or claims fail, when its `exp` lies
 * further ahead than JWT_MAX_LIFETIME_SECONDS (31 days), or when its `iat` lies more than
 * JWT_CLOCK_SKEW_SECONDS (60 s) in the future.
 */
import { createHmac, createSecretKey, timingSafeEqual, type KeyObject } from 'node:crypto';
import { SignJWT } from 'jose';
import { LRUCache } from 'lru-cache';
import type { GraphQLError } from 'graphql';
import { gatewayError } from '../errors.js';
import { parseGlobalId } from '../relay/global-id.js';

export const ROLES = ['admin', 'clinician', 'patient'] as const;
export type Role = (typeof ROLES)[number];

export interface Viewer {
  readonly role: Role;
  readonly subject: string;
  /** The patient's row id, set exactly when role is 'patient'. */
  readonly patientId: number | null;
}

/**
 * The one key of a principal: role, subject and (for patients) the patient id. Everything kept per
 * caller (idempotency keys, rate budgets, private cache entries, read-your-writes windows) is scoped
 * by it, so two tokens that share a `sub` but not a role or a patient never share state.
 *
 * Example: principalKey({ role: 'patient', subject: 'user-7', patientId: 7 }) // 'patient:user-7:7'
 */
export function principalKey(viewer: Viewer): string {
  return viewer.patientId === null ? `${viewer.role}:${viewer.subject}` : `${viewer.role}:${viewer.subject}:${viewer.patientId}`;
}

export interface TokenClaims {
  readonly role: Role;
  readonly sub: string;
  readonly patientId?: string;
}

/** Either a viewer, or no viewer and (when a token was sent but refused) the reason. */
export interface Authentication {
  readonly viewer: Viewer | null;
  readonly error: GraphQLError | null;
}

const key = (secret: string) => new TextEncoder().encode(secret);

export async function signToken(claims: TokenClaims, secret: string, ttlSeconds: number): Promise<string> {
  return new SignJWT({ role: claims.role, ...(claims.patientId ? { patientId: claims.patientId } : {}) })
    .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
    .setSubject(claims.sub)
    .setIssuedAt()
    .setExpirationTime(Math.floor(Date.now() / 1000) + ttlSeconds)
    .sign(key(secret));
}

/** The admin token `npm start` prints and GraphiQL pre-fills in development (DEV_TOKEN_TTL_SECONDS). */
export function signDevelopmentToken(secret: string, ttlSeconds: number): Promise<string> {
  return signToken({ role: 'admin', sub: 'dev-admin' }, secret, ttlSeconds);
}

const NO_TOKEN: Authentication = { viewer: null, error: null };

export interface TokenRules {
  /** JWT_SECRET. */
  readonly secret: string;
  /** JWT_MAX_LIFETIME_SECONDS: a token whose `exp` lies further ahead is refused. */
  readonly maxLifetimeSeconds: number;
  /** JWT_CLOCK_SKEW_SECONDS: how far in the future an `iat` may lie (the issuer's clock may run ahead). */
  readonly clockSkewSeconds: number;
  /** JWT_CACHE_MAX_ENTRIES: verified tokens remembered until they expire (0: none). */
  readonly cacheMaxEntries?: number;
}

/** A token's claims once its signature verified; every claim is still to be checked. */
type Claims = Record<string, unknown>;

class TokenRefused extends Error {}

const refusal = (why: string): Authentication => ({
  viewer: null,
  error: gatewayError('UNAUTHENTICATED', `The bearer token was refused: ${why}.`),
});

function decodeJson(segment: string): unknown {
  try {
    return JSON.parse(Buffer.from(segment, 'base64url').toString('utf8'));
  } catch {
    throw new TokenRefused('it is not a well-formed JWT');
  }
}

/**
 * Verifies HS256 bearer tokens synchronously with a key imported once, and remembers each verified token's
 * answer until it expires (the same token on every request of a session is verified once).
 *
 * Written on node:crypto rather than through jose (which signs the development tokens): jose verifies only
 * asynchronously through WebCrypto and imports the key on every call, which was a fifth of the CPU of a
 * `{ __typename }` request. The checks are jose's for HS256: the header names `alg: HS256` and no `crit`, the
 * signature matches (compared in constant time), `exp` and `sub` are present, `exp` has not passed, `nbf` (if
 * any) has, `iat` (if any) is a number; then the contract's own: `iat` at most JWT_CLOCK_SKEW_SECONDS ahead,
 * `exp` at most JWT_MAX_LIFETIME_SECONDS ahead, and the role's claims.
 *
 * Example:
 *   const verifier = new TokenVerifier(tokenRulesOf(config));
 *   verifier.viewerOf(`Bearer ${token}`) // { viewer: { role: 'admin', subject: 'dev-admin', patientId: null }, error: null }
 */
export class TokenVerifier {
  private readonly key: KeyObject;
  private readonly verified: LRUCache<string, { readonly auth: Authentication; readonly exp: number }> | null;

  constructor(private readonly rules: TokenRules) {
    this.key = createSecretKey(Buffer.from(rules.secret, 'utf8'));
    const max = rules.cacheMaxEntries ?? 10_000;
    this.verified = max > 0 ? new LRUCache({ max }) : null;
  }

  /** The viewer of an Authorization header, or why its token was refused; no token, no viewer and no error. */
  viewerOf(header: string | undefined): Authentication {
    if (header === undefined || header.trim() === '') return NO_TOKEN;
    const match = /^Bearer\s+([A-Za-z0-9_\-.]+)\s*$/i.exec(header);
    if (!match?.[1]) return refusal('the Authorization header must be "Bearer <token>"');
    const token = match[1];
    const now = Math.floor(Date.now() / 1000);
    const known = this.verified?.get(token);
    if (known && now < known.exp) return known.auth;
    let claims: Claims;
    try {
      claims = this.verify(token, now);
    } catch (error) {
      if (error instanceof TokenRefused) return refusal(error.message);
      throw error;
    }
    const auth = this.authenticate(claims, now);
    // Only acceptances are remembered: a refusal costs nothing to repeat, and must not fill the cache.
    if (auth.viewer && this.verified) this.verified.set(token, { auth, exp: claims.exp as number });
    return auth;
  }

  private verify(token: string, now: number): Claims {
    const [headerPart, payloadPart, signaturePart, ...rest] = token.split('.');
    if (headerPart === undefined || payloadPart === undefined || signaturePart === undefined || rest.length > 0) {
      throw new TokenRefused('it is not a well-formed JWT');
    }
    const header = decodeJson(headerPart) as { alg?: unknown; crit?: unknown } | null;
    if (header === null || typeof header !== 'object' || Array.isArray(header)) throw new TokenRefused('it is not a well-formed JWT');
    if (header.alg !== 'HS256') throw new TokenRefused('only HS256 tokens are accepted');
    if (header.crit !== undefined) throw new TokenRefused('it is not a well-formed JWT');
    const expected = createHmac('sha256', this.key).update(`${headerPart}.${payloadPart}`).digest();
    const given = Buffer.from(signaturePart, 'base64url');
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) throw new TokenRefused('its signature does not verify');
    const claims = decodeJson(payloadPart) as Claims | null;
    if (claims === null || typeof claims !== 'object' || Array.isArray(claims)) throw new TokenRefused('it is not a well-formed JWT');
    if (claims.sub === undefined) throw new TokenRefused('claim "sub" is missing or invalid');
    if (typeof claims.exp !== 'number' || !Number.isFinite(claims.exp)) throw new TokenRefused('claim "exp" is missing or invalid');
    if (claims.exp <= now) throw new TokenRefused('it has expired');
    if (claims.nbf !== undefined && (typeof claims.nbf !== 'number' || claims.nbf > now)) throw new TokenRefused('claim "nbf" is missing or invalid');
    if (claims.iat !== undefined && typeof claims.iat !== 'number') throw new TokenRefused('claim "iat" is missing or invalid');
    return claims;
  }

  private authenticate(payload: Claims, now: number): Authentication {
    if ((payload.exp as number) - now > this.rules.maxLifetimeSeconds) {
      return refusal(`claim "exp" lies more than ${this.rules.maxLifetimeSeconds} s ahead (JWT_MAX_LIFETIME_SECONDS)`);
    }
    if (typeof payload.iat === 'number' && payload.iat - now > this.rules.clockSkewSeconds) {
      return refusal(`claim "iat" lies more than ${this.rules.clockSkewSeconds} s in the future`);
    }
    const role = payload.role;
    if (typeof role !== 'string' || !(ROLES as readonly string[]).includes(role)) {
      return refusal(`claim "role" must be one of ${ROLES.join(', ')}`);
    }
    if (typeof payload.sub !== 'string' || payload.sub === '') return refusal('claim "sub" must be a non-empty string');
    let patientId: number | null = null;
    if (role === 'patient') {
      const parsed = typeof payload.patientId === 'string' ? parseGlobalId(payload.patientId) : null;
      if (parsed?.type !== 'Patient') return refusal('claim "patientId" must be a Patient global id for role patient');
      patientId = parsed.id;
    }
    // The contract: a clinician token's sub is that clinician's global id (the author of the records they write).
    if (role === 'clinician' && parseGlobalId(payload.sub)?.type !== 'Clinician') {
      return refusal('claim "sub" must be a Clinician global id for role clinician');
    }
    return { viewer: { role: role as Role, subject: payload.sub, patientId }, error: null };
  }
}

/** One-off verification (a verifier per call); the gateway keeps one TokenVerifier for all its requests. */
export function viewerFromAuthorization(header: string | undefined, rules: TokenRules): Authentication {
  return new TokenVerifier({ ...rules, cacheMaxEntries: 0 }).viewerOf(header);
}

/** The token rules of a configuration. */
export function tokenRulesOf(config: {
  jwtSecret: string;
  jwtMaxLifetimeSeconds: number;
  jwtClockSkewSeconds: number;
  jwtCacheMaxEntries: number;
}): TokenRules {
  return {
    secret: config.jwtSecret,
    maxLifetimeSeconds: config.jwtMaxLifetimeSeconds,
    clockSkewSeconds: config.jwtClockSkewSeconds,
    cacheMaxEntries: config.jwtCacheMaxEntries,
  };
}
