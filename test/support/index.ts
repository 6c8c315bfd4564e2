/**
 * The test kit of this suite in one import: rows written straight to MySQL
 * (fixtures), waiting on conditions (wait), the HTTP harness (http), global
 * ids (ids), hand-made tokens (tokens), shared GraphQL documents (documents),
 * private redis-servers and fault proxies, and the worker-scoped gateway
 * fixture (fixtures-gateway). The gateway itself comes from src/testing, the
 * kit the package ships.
 */
export * from './documents.js';
export * from './fixtures.js';
export * from './fixtures-gateway.js';
export * from './http.js';
export * from './ids.js';
export * from './redis-server.js';
export * from './tcp-proxy.js';
export * from './tokens.js';
export * from './wait.js';
