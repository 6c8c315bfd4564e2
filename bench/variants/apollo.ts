/**
 * Peer variant: stock Apollo Server 5, standalone, for S0 (`{ __typename }`)
 * only: `startStandaloneServer` from @apollo/server/standalone over a
 * one-field schema with one resolver, no plugins and every option at its
 * default (introspection included). The gateway's S0 against it is the cost
 * of everything the gateway adds around Apollo on a request that reads
 * nothing; its answer, `{"data":{"__typename":"Query"}}` and a newline, is
 * the gateway's byte for byte.
 *
 * startStandaloneServer creates its node:http server inside: the variant
 * captures it by wrapping http.createServer around the call, then answers
 * GET /bench/stats on it ahead of Apollo's handler. It sends no SQL, so
 * `sql` is always 0.
 *
 * Contract with bench/run.ts: POST `{ query, variables }` (on any path, as
 * the standalone server serves), GET /bench/stats
 * `{ "sql": 0, "gcMs": g, "cpuMs": c }` (./stats.ts), `ready <url>` on stdout;
 * SIGTERM/SIGINT stop it as Apollo stops by default (drain, then the signal
 * again). Env: PORT, NODE_ENV.
 */
import http from 'node:http';
import { ApolloServer } from '@apollo/server';
import { startStandaloneServer } from '@apollo/server/standalone';
import { sendBenchStats } from './stats.js';

type RequestListener = (req: http.IncomingMessage, res: http.ServerResponse) => void;

/** Runs `start` with http.createServer watched, and returns what it returned and the one server it created. */
async function capturingServer<T>(start: () => Promise<T>): Promise<{ result: T; httpServer: http.Server }> {
  const createServer = http.createServer;
  const created: http.Server[] = [];
  http.createServer = function (this: unknown, ...args: unknown[]) {
    const server = Reflect.apply(createServer, this, args) as http.Server;
    created.push(server);
    return server;
  } as typeof http.createServer;
  try {
    const result = await start();
    if (created.length !== 1) throw new Error(`startStandaloneServer created ${created.length} HTTP servers, not 1`);
    return { result, httpServer: created[0]! };
  } finally {
    http.createServer = createServer;
  }
}

const port = Number(process.env.PORT ?? '4000');
const server = new ApolloServer({ typeDefs: 'type Query { hello: String }', resolvers: { Query: { hello: () => 'world' } } });
const {
  result: { url },
  httpServer,
} = await capturingServer(() => startStandaloneServer(server, { listen: { port, host: '127.0.0.1' } }));

// /bench/stats ahead of Apollo's handler; everything else goes to Apollo unchanged. Nothing is sent
// to the server before `ready`, so swapping the listener after it listens loses no request.
const [apollo] = httpServer.listeners('request') as RequestListener[];
httpServer.removeAllListeners('request');
httpServer.on('request', (req: http.IncomingMessage, res: http.ServerResponse) => {
  if (req.method === 'GET' && req.url === '/bench/stats') sendBenchStats(res, 0);
  else apollo!(req, res);
});
process.stdout.write(`ready ${url}\n`);
