/**
 * What tests need to make tokens by hand: a secret production settings
 * accept, and JWT segments for forged (unsigned, alg:none) tokens. Tokens the
 * gateway would issue come from `TestGateway.authorizationFor` instead.
 */

/** A JWT secret long enough for production settings (NODE_ENV=production refuses a short or the development one). */
export const PRODUCTION_SECRET = 'a-production-secret-of-at-least-32-characters!';

/** base64url of a value's JSON: a JWT header or payload segment (`${base64urlJson({ alg: 'none' })}.${…}.`). */
export const base64urlJson = (value: unknown): string => Buffer.from(JSON.stringify(value), 'utf8').toString('base64url');
