// A TCP proxy in front of the test's PostgreSQL that can lose a commit's answer: armed, it
// forwards a statement and the server's answer is dropped, and the connection cut, once
// ReadyForQuery (sent after the implicit transaction committed) comes back. What a network
// failure or a failover between commit and reply does to a client. Real sockets, real server.
import { createServer, connect, type Socket } from 'node:net';
import { afterAll } from 'vitest';

const servers: (() => Promise<void>)[] = [];
afterAll(async () => {
  for (const stop of servers.splice(0)) await stop();
});

/** ReadyForQuery: 'Z', length 5 (then the transaction status byte). */
const READY_FOR_QUERY = Buffer.from([0x5a, 0, 0, 0, 5]);

export interface PgProxy {
  /** The URL with the proxy's port in place of the server's. */
  url: string;
  /** The next `times` client messages that contain `marker` have their answer dropped and their connection cut. */
  loseAnswersTo(marker: string, times?: number): void;
  /** How many answers were dropped. */
  readonly lost: number;
}

export async function pgProxy(serverUrl: string): Promise<PgProxy> {
  const target = new URL(serverUrl);
  let armed: Buffer | null = null;
  let armedFor = 0;
  let lost = 0;
  const sockets = new Set<Socket>();
  const server = createServer((client) => {
    const upstream = connect(Number(target.port), target.hostname);
    sockets.add(client).add(upstream);
    let cutting = false;
    client.on('data', (chunk) => {
      if (armed && armedFor > 0 && chunk.includes(armed)) {
        armedFor--;
        cutting = true;
      }
      upstream.write(chunk);
    });
    upstream.on('data', (chunk) => {
      if (!cutting) return void client.write(chunk);
      if (!chunk.includes(READY_FOR_QUERY)) return; // answers before the commit's: dropped too
      lost++;
      client.destroy();
      upstream.destroy();
    });
    const end = () => {
      client.destroy();
      upstream.destroy();
      sockets.delete(client);
      sockets.delete(upstream);
    };
    client.on('close', end).on('error', end);
    upstream.on('close', end).on('error', end);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as { port: number }).port;
  servers.push(
    () =>
      new Promise<void>((r) => {
        for (const s of sockets) s.destroy();
        server.close(() => r());
      }),
  );
  const url = new URL(serverUrl);
  url.hostname = '127.0.0.1';
  url.port = String(port);
  return {
    url: url.toString(),
    loseAnswersTo: (marker, times = 1) => {
      armed = Buffer.from(marker);
      armedFor = times;
    },
    get lost() {
      return lost;
    },
  };
}
