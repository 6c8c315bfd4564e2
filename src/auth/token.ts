/**
 * Bearer tokens: HS256 JWTs with `sub` (for clinicians, their Clinician global
 * id), `role`, `exp` and, for patients, `patientId` (the patient's global id).
 * `viewerFromAuthorization` turns an Authorization header into the Viewer the
 * resolvers and access rules see.
 *
 * Example:
 *   const token = await signToken({ role: 'patient', sub: 'user-7', patientId: toGlobalId('Patient', 7) }, secret, 3600);
 *   await viewerFromAuthorization(`Bearer ${token}`, tokenRulesOf(config)) // { viewer: { role: 'patient', subject: 'user-7', patientId: 7 } }
 *
 * A token is refused (UNAUTHENTICATED) when its signature, `exp` or claims fail, when its `exp` lies
 * further ahead than JWT_MAX_LIFETIME_SECONDS (31 days), or when its `iat` lies more than
 * JWT_CLOCK_SKEW_SECONDS (60 s) in the future.
 */
import { errors as joseErrors, jwtVerify, SignJWT } from 'jose';
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
}

export async function viewerFromAuthorization(header: string | undefined, rules: TokenRules): Promise<Authentication> {
  if (header === undefined || header.trim() === '') return NO_TOKEN;
  const refuse = (why: string): Authentication => ({
    viewer: null,
    error: gatewayError('UNAUTHENTICATED', `The bearer token was refused: ${why}.`),
  });
  const match = /^Bearer\s+([A-Za-z0-9_\-.]+)\s*$/i.exec(header);
  if (!match?.[1]) return refuse('the Authorization header must be "Bearer <token>"');
  try {
    const { payload } = await jwtVerify(match[1], key(rules.secret), {
      algorithms: ['HS256'],
      requiredClaims: ['sub', 'exp'],
    });
    const now = Math.floor(Date.now() / 1000);
    if (typeof payload.exp === 'number' && payload.exp - now > rules.maxLifetimeSeconds) {
      return refuse(`claim "exp" lies more than ${rules.maxLifetimeSeconds} s ahead (JWT_MAX_LIFETIME_SECONDS)`);
    }
    if (payload.iat !== undefined && (typeof payload.iat !== 'number' || payload.iat - now > rules.clockSkewSeconds)) {
      return refuse(`claim "iat" lies more than ${rules.clockSkewSeconds} s in the future`);
    }
    const role = payload.role;
    if (typeof role !== 'string' || !(ROLES as readonly string[]).includes(role)) {
      return refuse(`claim "role" must be one of ${ROLES.join(', ')}`);
    }
    if (typeof payload.sub !== 'string' || payload.sub === '') return refuse('claim "sub" must be a non-empty string');
    let patientId: number | null = null;
    if (role === 'patient') {
      const parsed = typeof payload.patientId === 'string' ? parseGlobalId(payload.patientId) : null;
      if (parsed?.type !== 'Patient') return refuse('claim "patientId" must be a Patient global id for role patient');
      patientId = parsed.id;
    }
    // The contract: a clinician token's sub is that clinician's global id (the author of the records they write).
    if (role === 'clinician' && parseGlobalId(payload.sub)?.type !== 'Clinician') {
      return refuse('claim "sub" must be a Clinician global id for role clinician');
    }
    return { viewer: { role: role as Role, subject: payload.sub, patientId }, error: null };
  } catch (error) {
    if (error instanceof joseErrors.JWTExpired) return refuse('it has expired');
    if (error instanceof joseErrors.JWTClaimValidationFailed) return refuse(`claim "${error.claim}" is missing or invalid`);
    if (error instanceof joseErrors.JWSSignatureVerificationFailed) return refuse('its signature does not verify');
    if (error instanceof joseErrors.JOSEAlgNotAllowed) return refuse('only HS256 tokens are accepted');
    return refuse('it is not a well-formed JWT');
  }
}

/** The token rules of a configuration. */
export function tokenRulesOf(config: { jwtSecret: string; jwtMaxLifetimeSeconds: number; jwtClockSkewSeconds: number }): TokenRules {
  return { secret: config.jwtSecret, maxLifetimeSeconds: config.jwtMaxLifetimeSeconds, clockSkewSeconds: config.jwtClockSkewSeconds };
}
