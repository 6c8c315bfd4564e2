/**
 * A TCP proxy in front of a real server (MariaDB, Redis) for fault tests: the
 * test points the gateway at the proxy, then takes the server away
 * (`stop`: the port refuses and every open connection is cut), black-holes it
 * (`blackhole`: connections stay open but nothing passes, as on a dead
 * network), delays it (`hold`: replies are kept back until `release`, as from
 * a server that stalls), and brings it back (`start`, `resume`) on the same port.
 *
 * Example:
 *   const proxy = await startTcpProxy({ targetPort: 3306 });
 *   // DATABASE_URL=mysql://root@127.0.0.1:${proxy.port}/db
 *   await proxy.stop();   // MySQL is gone
 *   await proxy.start();  // and back
 */
import net from 'node:net';

export interface TcpProxy {
  readonly port: number;
  /** Stops listening and cuts every connection. */
  stop(): Promise<void>;
  /** Listens again on the same port. */
  start(): Promise<void>;
  /** Keeps connections open but passes no bytes either way, and accepts new ones that hang too. */
  blackhole(): void;
  /** Ends the black hole: new connections pass again (black-holed ones are cut, as a dead network's would be). */
  resume(): void;
  /** Keeps every reply back (requests still reach the server) until `release`. */
  hold(): void;
  /** Delivers the replies held back, in order, and lets replies through again. */
  release(): void;
}

export async function startTcpProxy({ targetPort, targetHost = '127.0.0.1' }: { targetPort: number; targetHost?: string }): Promise<TcpProxy> {
  const sockets = new Set<net.Socket>();
  let holed = false;
  const held: net.Socket[] = [];
  let holding = false;
  const delayed: { client: net.Socket; chunks: Buffer[] }[] = [];
  const server = net.createServer((client) => {
    sockets.add(client);
    client.on('close', () => sockets.delete(client));
    client.on('error', () => client.destroy());
    if (holed) {
      held.push(client);
      return;
    }
    const upstream = net.connect(targetPort, targetHost);
    sockets.add(upstream);
    upstream.on('close', () => {
      sockets.delete(upstream);
      client.destroy();
    });
    upstream.on('error', () => upstream.destroy());
    client.on('close', () => upstream.destroy());
    client.on('data', (chunk) => {
      if (!holed) upstream.write(chunk);
    });
    const replies = { client, chunks: [] as Buffer[] };
    delayed.push(replies);
    upstream.on('data', (chunk) => {
      if (holed) return;
      if (holding) replies.chunks.push(chunk);
      else client.write(chunk);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as net.AddressInfo).port;

  return {
    port,
    stop: () =>
      new Promise((resolve) => {
        holding = false;
        delayed.length = 0;
        for (const socket of sockets) socket.destroy();
        if (!server.listening) return resolve();
        server.close(() => resolve());
      }),
    start: () =>
      new Promise((resolve, reject) => {
        if (server.listening) return resolve();
        server.once('error', reject);
        server.listen(port, '127.0.0.1', () => {
          server.off('error', reject);
          resolve();
        });
      }),
    blackhole() {
      holed = true;
      for (const socket of sockets) held.push(socket);
    },
    hold() {
      holding = true;
    },
    release() {
      holding = false;
      for (const replies of delayed) for (const chunk of replies.chunks.splice(0)) replies.client.write(chunk);
    },
    resume() {
      holed = false;
      // A connection that may have lost bytes cannot continue its protocol; cut it, as a dead network eventually would.
      for (const socket of held.splice(0)) socket.destroy();
    },
  };
}
