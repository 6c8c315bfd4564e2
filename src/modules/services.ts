/**
 * What a domain's service (src/modules/<domain>/service.ts) takes of the request. A service owns each
 * write end to end: who may make it, what input it accepts, its transaction, and the cache tags it
 * invalidates once committed; resolvers hand it their GraphQL arguments and return what it returns. A
 * service is made per call (`patientService(context).create(input)`) and holds nothing, so it costs no
 * statement and no state of its own.
 */
import type { GatewayContext } from '../context.js';

/** The caller (for authorization), the primary (for the transaction), and `committed` (for the tags). */
export type ServiceContext = Pick<GatewayContext, 'viewer' | 'authError' | 'db' | 'committed'>;
