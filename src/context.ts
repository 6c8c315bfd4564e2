/**
 * The per-request context every resolver receives: who is calling, the
 * request's own loaders, the cursor codec and the settings. With read replicas
 * configured (src/db/replicas.ts), the loaders read through the request's
 * routed handle, and `committed` sends the rest of the request, and the
 * principal's read-your-writes window, to the primary.
 */
import { randomUUID } from 'node:crypto';
import type { GraphQLError } from 'graphql';
import { principalKey, TokenVerifier, tokenRulesOf, type Viewer } from './auth/token.js';
import type { Cache, CacheSession } from './cache/cache.js';
import type { Config } from './config.js';
import type { Database, Db } from './db/client.js';
import { createRequestDb, type RequestDb } from './db/request-db.js';
import { newSqlTrace, type SqlTrace } from './db/sql-counter.js';
import { createReadRouter, type ReplicaHealth } from './db/replicas.js';
import { createLoaders, type Loaders } from './modules/loaders.js';
import type { PersistedDocument } from './http/graphql-request.js';
import type { Redis } from './redis/client.js';
import { createCursorCodec, type CursorCodec } from './relay/cursor.js';
import { SearchPlanner } from './modules/search/plan.js';
import { readFullTextRules } from './modules/search/repository.js';
import type { FullTextRules } from './modules/search/words.js';

export interface GatewayContext {
  readonly requestId: string;
  /** The caller; null without a token or when the token was refused (see authError). */
  readonly viewer: Viewer | null;
  /** Why a sent token was refused; fields then fail with this error. */
  readonly authError: GraphQLError | null;
  /** Renewed in place by `committed` after a write, so later fields read the committed state. */
  readonly loaders: Loaders;
  /**
   * Called by every mutation after its transaction committed: invalidates the
   * cache tags the write touched (awaited, so every read that starts after the
   * mutation returns sees it, on every instance) and renews this request's
   * loaders. Returns the new loaders.
   */
  committed(tags: readonly string[]): Promise<Loaders>;
  /** This request's view of the cache (fence, tags read, statistics for extensions.cache). */
  readonly cacheSession: CacheSession;
  /** For mutations, which write through repositories inside transactions: the primary (drizzle, made on first use). */
  readonly db: Db;
  /** The statements this request sent (src/db/sql-counter.ts): x-sql-statements, metrics, spans, tests. */
  readonly sql: SqlTrace;
  readonly cursors: CursorCodec;
  readonly config: Config;
  /** How the document was sent by hash (trusted, APQ), or null for a plain query. */
  readonly persistedDocument: PersistedDocument | null;
  /**
   * Who pays for this request's cost (the rate budget): the principal (src/auth/token.ts principalKey),
   * or, without a valid token, the client's address (`address:<ip>`, see src/http/client-address.ts).
   */
  readonly payer: string;
  /** The database's FULLTEXT settings (token sizes, stopwords), read on the first search of the process. */
  fullTextRules(): Promise<FullTextRules>;
}

export interface RequestInfo {
  readonly authorization?: string | undefined;
  readonly requestId?: string | undefined;
  readonly persistedDocument?: PersistedDocument | undefined;
  /** The client's address (src/http/client-address.ts); charged for requests without a valid token. */
  readonly clientAddress?: string | undefined;
  /** The trace the request counts into (default: a new one); the test kit passes one that keeps the statements. */
  readonly sqlTrace?: SqlTrace | undefined;
}

export type ContextFactory = (request: RequestInfo) => Promise<GatewayContext>;

export interface ReplicaOptions {
  /** The replicas (DATABASE_REPLICA_URLS); none keeps every read on the primary. */
  readonly replicas?: readonly Database[];
  /** Which replicas answer (src/db/replicas.ts watchReplicas). */
  readonly replicaHealth?: ReplicaHealth;
  /** Where the read-your-writes windows are shared between instances (null: this process only). */
  readonly redis?: Redis | null;
}

export function createContextFactory(database: Database, config: Config, cache: Cache, options: ReplicaOptions = {}): ContextFactory {
  const cursors = createCursorCodec(config.cursorSecret);
  const tokens = new TokenVerifier(tokenRulesOf(config));
  const router = createReadRouter({
    primary: database.instrumented,
    replicas: (options.replicas ?? []).map((replica) => replica.instrumented),
    config,
    cache,
    redis: options.redis ?? null,
    ...(options.replicaHealth ? { health: options.replicaHealth } : {}),
  });
  // Shared by the requests of this process: what it learns about words only ever changes speed.
  const searchPlanner = new SearchPlanner({ memory: config.searchPlanMemory, ttlSeconds: config.searchPlanTtlSeconds });
  // Once per process, outside any request's statement count: the settings are the server's, not data.
  let fullText: Promise<FullTextRules> | null = null;
  const fullTextRules = () =>
    (fullText ??= readFullTextRules(database.instrumented).catch((error: unknown) => {
      fullText = null; // read again by the next search (the database may have been away)
      throw error;
    }));
  return async (request) => {
    const auth = tokens.viewerOf(request.authorization);
    const cacheSession = cache.session();
    const subject = auth.viewer ? principalKey(auth.viewer) : null;
    const reads = router ? await router.begin(subject, cacheSession) : null;
    const sql = request.sqlTrace ?? newSqlTrace();
    const requestDb = createRequestDb(database, sql, reads ? reads.route : null);
    const loaders = createLoaders({ reads: requestDb, chunkSize: config.inChunkSize, cache, session: cacheSession, searchPlanner });
    return new RequestContext({
      requestId: request.requestId ?? randomUUID(),
      viewer: auth.viewer,
      authError: auth.error,
      loaders,
      sql,
      committed: async (tags) => {
        if (reads) {
          // `written()` turns this request's reads to the primary at once (before the invalidation starts)
          // and records the principal's read-your-writes window; both are done before the mutation returns.
          await Promise.all([reads.written(), cache.invalidate(cacheSession, tags)]);
        } else {
          await cache.invalidate(cacheSession, tags);
        }
        // In place: Apollo hands resolvers a shallow copy of this object, which shares `loaders`.
        return loaders.renew();
      },
      cacheSession,
      cursors,
      config,
      persistedDocument: request.persistedDocument ?? null,
      payer: auth.viewer ? principalKey(auth.viewer) : `address:${request.clientAddress ?? 'unknown'}`,
      fullTextRules,
      requestDb,
    });
  };
}

/**
 * A request's context. `db` is a getter on the prototype, not an own property: Apollo hands resolvers a shallow
 * copy (Object.assign onto the same prototype), which would otherwise call it, and build a drizzle handle, for
 * every request, queries included.
 */
class RequestContext implements GatewayContext {
  readonly requestId!: string;
  readonly viewer!: Viewer | null;
  readonly authError!: GraphQLError | null;
  readonly loaders!: Loaders;
  readonly sql!: SqlTrace;
  readonly committed!: GatewayContext['committed'];
  readonly cacheSession!: CacheSession;
  readonly cursors!: CursorCodec;
  readonly config!: Config;
  readonly persistedDocument!: PersistedDocument | null;
  readonly payer!: string;
  readonly fullTextRules!: () => Promise<FullTextRules>;
  private readonly requestDb!: RequestDb;

  constructor(fields: Omit<GatewayContext, 'db'> & { requestDb: RequestDb }) {
    Object.assign(this, fields);
  }

  get db(): Db {
    return this.requestDb.writer;
  }
}
