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
    const pipe = (from: Socket, to: Socket) => {
      // Each chunk leaves no earlier than the one before it, so a delay changed midway keeps order.
      let lastDue = 0;
      from.on('data', (chunk: Buffer) => {
        if (this.delayMs === 0 && lastDue <= Date.now()) {
          to.write(chunk);
          return;
        }
        lastDue = Math.max(Date.now() + this.delayMs, lastDue);
        setTimeout(() => {
          if (!to.destroyed) to.write(chunk);
        }, lastDue - Date.now());
      });
    };
    pipe(client, upstream);
    pipe(upstream, client);
    const end = () => {
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
