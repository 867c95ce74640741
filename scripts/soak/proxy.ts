// The soak's network faults: each controller reaches the broker through a TCP proxy of its own in
// the soak process, so one controller's network can be cut or slowed while the others carry on.
// "Partition" here means exactly that: the proxy drops the controller's open connection and refuses
// new ones (accepts and closes at once, as a dead link would look to TLS) until it is healed; the
// controller keeps deciding and journaling on its side, the server sees silence. "Delay" holds every
// chunk in both directions for a fixed time before passing it on (latency, not loss: order is kept).
import { createConnection, createServer, type Server, type Socket } from 'node:net';

export class LinkProxy {
  private server: Server | undefined;
  private readonly open = new Set<Socket>();
  private cut = false;
  private delayMs = 0;
  port = 0;

  constructor(
    private readonly targetPort: () => number,
    readonly name: string,
  ) {}

  async start(): Promise<void> {
    this.server = createServer((client) => this.accept(client));
    await new Promise<void>((resolve, reject) => {
      this.server!.once('error', reject);
      this.server!.listen(0, '127.0.0.1', () => resolve());
    });
    this.port = (this.server.address() as { port: number }).port;
  }

  /** Drops the open connections and refuses new ones until heal(). */
  partition(): void {
    this.cut = true;
    for (const s of this.open) s.destroy();
  }

  heal(): void {
    this.cut = false;
  }

  /** Latency on every chunk in both directions from now on (0: none). */
  setDelay(ms: number): void {
    this.delayMs = ms;
  }

  async close(): Promise<void> {
    this.cut = true;
    for (const s of this.open) s.destroy();
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }

  private accept(client: Socket): void {
    if (this.cut) {
      client.destroy();
      return;
    }
    const upstream = createConnection({ host: '127.0.0.1', port: this.targetPort() });
    this.open.add(client);
    this.open.add(upstream);
    // Each direction has one queue: chunks leave in the order they came, each no earlier than its
    // due time, served by one timer for the head of the queue. (A timer per chunk does not keep
    // order: timers of different lengths due in the same millisecond may fire either way round, and
    // a chunk passed on at once when the delay went back to 0 would overtake the ones still held.)
    const pipe = (from: Socket, to: Socket) => {
      const queue: { due: number; chunk: Buffer }[] = [];
      let timer: NodeJS.Timeout | undefined;
      const drain = () => {
        timer = undefined;
        const now = Date.now();
        while (queue.length > 0 && queue[0]!.due <= now) {
          const { chunk } = queue.shift()!;
          if (!to.destroyed) to.write(chunk);
        }
        if (queue.length > 0) timer = setTimeout(drain, queue[0]!.due - now);
      };
      from.on('data', (chunk: Buffer) => {
        if (this.delayMs === 0 && queue.length === 0) {
          to.write(chunk);
          return;
        }
        queue.push({ due: Math.max(Date.now() + this.delayMs, queue.at(-1)?.due ?? 0), chunk });
        timer ??= setTimeout(drain, Math.max(0, queue[0]!.due - Date.now()));
      });
      return () => {
        clearTimeout(timer);
        queue.length = 0;
      };
    };
    const stops = [pipe(client, upstream), pipe(upstream, client)];
    const end = () => {
      for (const stop of stops) stop();
      client.destroy();
      upstream.destroy();
      this.open.delete(client);
      this.open.delete(upstream);
    };
    for (const s of [client, upstream]) {
      s.on('error', end);
      s.on('close', end);
    }
  }
}
