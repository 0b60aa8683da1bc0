// A TCP proxy in front of the test's PostgreSQL, with the faults a network or a failover
// brings, on real sockets to a real server:
// - lose a commit's answer: armed, it forwards a statement and the server's answer is
//   dropped, and the connection cut, once ReadyForQuery (sent after the implicit transaction
//   committed) comes back;
// - hold what the server sends on the open connections (its messages and its close) until
//   the client next sends something there: a connection the server has ended still looks
//   alive to the client until it uses it — the pool hands it out as idle, deterministically;
// - refuse new connections (accepted, then cut at once);
// - stop a client message that contains a marker until the test has done something (ended
//   the connection on the server, say): a fault between two steps of one call.
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
  /**
   * From now on, what the server sends on each connection open now is held back, its close
   * too, until the client sends something on it. Resolves, with how many connections are
   * held, once the server has closed every one of them.
   */
  holdUntilServerCloses(): Promise<number>;
  /** Connections whose held messages went to a client that had just used the connection. */
  readonly deliveredToUse: number;
  /**
   * The next client message that contains `marker` waits, on its connection, until `run` has
   * settled; then it goes on as any other (to a held connection: it gets what the server said).
   */
  beforeMessage(marker: string, run: () => Promise<unknown>): void;
  /** While true, a new connection is accepted and cut at once. */
  refuseNew(on: boolean): void;
  /** Connections accepted so far (refused ones included). */
  readonly accepted: number;
  /** The local ports of the proxy's open connections to the server: their `client_port` there. */
  serverSidePorts(): number[];
}

interface Held {
  chunks: Buffer[];
  serverClosed: boolean;
  onServerClosed: () => void;
}

export async function pgProxy(serverUrl: string): Promise<PgProxy> {
  const target = new URL(serverUrl);
  let armed: Buffer | null = null;
  let armedFor = 0;
  let lost = 0;
  let deliveredToUse = 0;
  let refusing = false;
  let accepted = 0;
  let stopAt: { marker: Buffer; run: () => Promise<unknown> } | null = null;
  const sockets = new Set<Socket>();
  const upstreams = new Set<Socket>();
  const holders = new Set<(held: Held) => void>();
  const server = createServer((client) => {
    accepted++;
    if (refusing) return void client.destroy();
    const upstream = connect(Number(target.port), target.hostname);
    sockets.add(client).add(upstream);
    upstreams.add(upstream);
    let cutting = false;
    let held: Held | null = null; // while holding
    let heldOnce: Held | null = null; // told when the server closes, also after the client used it
    const hold = (h: Held) => (held = heldOnce = h);
    holders.add(hold);
    const fromClient = (chunk: Buffer) => {
      if (held) {
        // The client uses the connection: it gets what the server said, then the close.
        const h = held;
        held = null;
        holders.delete(hold);
        deliveredToUse++;
        for (const c of h.chunks) client.write(c);
        if (h.serverClosed) return void client.end();
      }
      if (armed && armedFor > 0 && chunk.includes(armed)) {
        armedFor--;
        cutting = true;
      }
      upstream.write(chunk);
    };
    client.on('data', (chunk: Buffer) => {
      if (!stopAt || !chunk.includes(stopAt.marker)) return fromClient(chunk);
      const { run } = stopAt;
      stopAt = null;
      client.pause(); // what the client sends meanwhile waits behind this message
      void run()
        .catch(() => undefined) // the test's own expectations report it
        .then(() => {
          fromClient(chunk);
          client.resume();
        });
    });
    upstream.on('data', (chunk) => {
      if (held) return void held.chunks.push(chunk);
      if (!cutting) return void client.write(chunk);
      if (!chunk.includes(READY_FOR_QUERY)) return; // answers before the commit's: dropped too
      lost++;
      client.destroy();
      upstream.destroy();
    });
    const end = () => {
      holders.delete(hold);
      client.destroy();
      upstream.destroy();
      sockets.delete(client);
      sockets.delete(upstream);
      upstreams.delete(upstream);
    };
    const upstreamEnd = () => {
      if (heldOnce) {
        heldOnce.serverClosed = true;
        heldOnce.onServerClosed();
      }
      if (!held) end();
    };
    client.on('close', end).on('error', end);
    upstream.on('close', upstreamEnd).on('error', upstreamEnd);
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
    holdUntilServerCloses: () => {
      const closes = [...holders].map(
        (hold) =>
          new Promise<void>((onServerClosed) => {
            hold({ chunks: [], serverClosed: false, onServerClosed });
          }),
      );
      return Promise.all(closes).then(() => closes.length);
    },
    get deliveredToUse() {
      return deliveredToUse;
    },
    beforeMessage: (marker, run) => {
      stopAt = { marker: Buffer.from(marker), run };
    },
    refuseNew: (on) => {
      refusing = on;
    },
    get accepted() {
      return accepted;
    },
    serverSidePorts: () => [...upstreams].flatMap((u) => (u.localPort === undefined ? [] : [u.localPort])),
  };
}
