/**
 * What every hand-built variant does once its server exists, as the harness
 * (bench/run.ts) expects it: listen on 127.0.0.1:PORT, print `ready <url>`,
 * and on SIGTERM/SIGINT close connections, release its resources and exit 0.
 *
 * Example:
 *   await serveVariant(server, config.port, () => pool.end());
 */
import type http from 'node:http';
import type { AddressInfo } from 'node:net';

export async function serveVariant(server: http.Server, port: number, release: () => Promise<unknown>): Promise<void> {
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', resolve);
  });
  process.stdout.write(`ready http://127.0.0.1:${(server.address() as AddressInfo).port}/graphql\n`);
  let stopping = false;
  const stop = async () => {
    if (stopping) return;
    stopping = true;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
    await release().catch(() => undefined);
    process.exit(0);
  };
  process.on('SIGTERM', () => void stop());
  process.on('SIGINT', () => void stop());
}
