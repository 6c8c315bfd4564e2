/**
 * useSqlCountHeader: tells the client how many SQL statements its operation
 * ran, in the `x-sql-statements` response header, so a frontend developer sees
 * N+1 regressions in the browser's network tab. The count is the one of
 * src/db/sql-counter.ts (taken at the mysql2 driver) for the request's trace,
 * which its context carries.
 *
 * Options: `enabled` (default: on outside production).
 */
import type { ApolloServerPlugin } from '@apollo/server';
import type { GatewayContext } from '../context.js';

export const SQL_COUNT_HEADER = 'x-sql-statements';

export function useSqlCountHeader(options: { enabled: boolean }): ApolloServerPlugin<GatewayContext> {
  return {
    async requestDidStart() {
      if (!options.enabled) return;
      return {
        async willSendResponse({ response, contextValue }) {
          if (contextValue.sql) response.http.headers.set(SQL_COUNT_HEADER, String(contextValue.sql.count));
        },
      };
    },
  };
}
