/**
 * The per-request context every resolver receives: who is calling, the
 * request's own loaders, the cursor codec and the settings.
 */
import { randomUUID } from 'node:crypto';
import type { GraphQLError } from 'graphql';
import { viewerFromAuthorization, type Viewer } from './auth/token.js';
import type { Cache, CacheSession } from './cache/cache.js';
import type { Config } from './config.js';
import type { Db } from './db/client.js';
import { createLoaders, type Loaders } from './modules/loaders.js';
import type { PersistedDocument } from './plugins/persisted-documents.js';
import { createCursorCodec, type CursorCodec } from './relay/cursor.js';

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
  /** For mutations, which write through repositories inside transactions. */
  readonly db: Db;
  readonly cursors: CursorCodec;
  readonly config: Config;
  /** How the document was sent by hash (trusted, APQ), or null for a plain query. */
  readonly persistedDocument: PersistedDocument | null;
}

export interface RequestInfo {
  readonly authorization?: string | undefined;
  readonly requestId?: string | undefined;
  readonly persistedDocument?: PersistedDocument | undefined;
}

export type ContextFactory = (request: RequestInfo) => Promise<GatewayContext>;

export function createContextFactory(db: Db, config: Config, cache: Cache): ContextFactory {
  const cursors = createCursorCodec(config.cursorSecret);
  return async (request) => {
    const auth = await viewerFromAuthorization(request.authorization, config.jwtSecret);
    const cacheSession = cache.session();
    const loaderContext = { db, chunkSize: config.inChunkSize, cache, session: cacheSession };
    const context: GatewayContext = {
      requestId: request.requestId ?? randomUUID(),
      viewer: auth.viewer,
      authError: auth.error,
      loaders: createLoaders(loaderContext),
      committed: async (tags) => {
        await cache.invalidate(cacheSession, tags);
        // In place: Apollo hands resolvers a shallow copy of this object, which shares `loaders`.
        return Object.assign(context.loaders, createLoaders(loaderContext));
      },
      cacheSession,
      db,
      cursors,
      config,
      persistedDocument: request.persistedDocument ?? null,
    };
    return context;
  };
}
