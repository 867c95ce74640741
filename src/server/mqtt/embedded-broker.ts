// The embedded MQTT broker (aedes) the server runs by default, on loopback and on a port that does
// not clash with a system broker (1883). MONBAN_MQTT_URL points server and controllers at an
// external broker (Mosquitto, EMQX) instead. With a certificate it speaks MQTT over TLS only; with
// `access` it lets in only enrolled controllers and the server, each holding a fresh signed login
// proof, and holds every controller to its own topics. Message integrity does not depend on the
// broker either way: every message is signed end to end (src/contracts/envelope.ts).
// aedes speaks MQTT 3.1.1 (it has no MQTT 5 yet); external brokers are used with MQTT 5.

import { createServer, type Server } from 'node:net';
import { Duplex } from 'node:stream';
import { createServer as createTlsServer } from 'node:tls';
import { Aedes, type AedesOptions } from 'aedes';

export const DEFAULT_MQTT_PORT = 18830;

export interface BrokerAccess {
  /** whether this username/password is an enrolled controller or the server */
  login(username: string, password: string): boolean;
  /** topic prefix a logged-in user may publish under, and the topic it may subscribe to; undefined: any */
  topics(username: string): { publish: string; subscribe: string } | undefined;
}

export interface EmbeddedBroker {
  url: string;
  /**
   * A connection to the broker inside this process, for the server's own client: no socket, no TLS.
   * Over loopback TLS each controller message was encrypted and decrypted twice more on the
   * server's loop (broker → client, and the acknowledgement back), which was most of what the
   * socket writes cost it at 1,000 events/s (docs/latency.md). Logging in is the same.
   */
  connectInProcess(): Duplex;
  close(): Promise<void>;
}

/** What one end of a pair buffers before a write waits, as much as a loopback socket buffers. */
const PAIR_BUFFER = 4 * 2 ** 20;

/**
 * Two connected ends: what one writes, the other reads. Past PAIR_BUFFER unread, a write is held
 * (backpressure) until the reading end wants more; ending or destroying one ends the other. With
 * streams' default 16 KiB, snapshot chunks went through the broker in lockstep and the server's
 * keepalive pings waited behind them.
 */
export function duplexPair(): [Duplex, Duplex] {
  const ends: Duplex[] = [];
  const waiting: (() => void)[] = [];
  const make = (me: number): Duplex => {
    const other = 1 - me;
    return new Duplex({
      readableHighWaterMark: PAIR_BUFFER,
      writableHighWaterMark: PAIR_BUFFER,
      read() {
        // The other end's held write may go on now. Taken before it is called: going on may
        // write again at once and be held anew.
        const held = waiting[other];
        delete waiting[other];
        held?.();
      },
      write(chunk: Buffer, _encoding, done) {
        if (ends[other]!.push(chunk)) done();
        else waiting[me] = done;
      },
      final(done) {
        ends[other]!.push(null);
        done();
      },
      destroy(error, done) {
        if (!ends[other]!.destroyed) ends[other]!.destroy();
        done(error);
      },
    });
  };
  ends.push(make(0), make(1));
  return [ends[0]!, ends[1]!];
}

const DENY = { publish: '\u0000', subscribe: '\u0000' }; // no topic starts with NUL

/** Broker hooks: log in with a signed proof, then publish and subscribe only where `access` allows. */
function accessControl(access: BrokerAccess): AedesOptions {
  // The username each connection logged in with.
  const users = new WeakMap<object, string>();
  const allowed = (client: object | null) => {
    const user = client ? users.get(client) : undefined;
    return user === undefined ? DENY : access.topics(user);
  };
  return {
    authenticate: (client, username, password, done) => {
      if (username !== undefined && password !== undefined && access.login(username, password.toString())) {
        users.set(client, username);
        return done(null, true);
      }
      done(Object.assign(new Error('not authorized'), { returnCode: 5 as const }), false);
    },
    authorizePublish: (client, packet, callback) => {
      const topics = allowed(client);
      if (topics === undefined || packet.topic.startsWith(topics.publish)) return callback(null);
      callback(new Error('topic not allowed'));
    },
    authorizeSubscribe: (client, subscription, callback) => {
      const topics = allowed(client);
      if (topics === undefined || subscription.topic === topics.subscribe)
        return callback(null, subscription);
      callback(null, null); // refused in the SUBACK (0x80); the connection stays
    },
  };
}

/** Publishes finished in one go before one waits for a later turn (see startEmbeddedBroker). */
const PUBLISH_RUN = 64;

export async function startEmbeddedBroker(
  options: { host?: string; port?: number; tls?: { cert: string; key: string }; access?: BrokerAccess } = {},
): Promise<EmbeddedBroker> {
  // aedes goes on to a client's next buffered packet from inside the last one's completion: a
  // client whose socket holds thousands of packets (a server that stalled a moment under a hundred
  // controllers' traffic) overflowed the stack — "Maximum call stack size exceeded" in
  // `npm run bench:stack`. Every PUBLISH_RUN-th publish of a turn finishes in a later turn, which
  // bounds that depth; finishing every one later would read one packet per turn of the event loop
  // and starve the server's own client (tens of seconds of backlog at 1,000 events/s).
  let run = 0;
  let resetting = false;
  const brokerOptions: AedesOptions = {
    ...(options.access ? accessControl(options.access) : {}),
    // Messages beyond this many in delivery queue in aedes' emitter, which drains its queue
    // recursively (one stack level per queued message when deliveries finish at once): aedes' 100
    // overflowed the stack once a hundred controllers' traffic backed up. Deliveries still wait for
    // their sockets; this only bounds how many are started.
    concurrency: 10_000,
    published: (_packet, _client, done) => {
      if (!resetting) {
        resetting = true;
        setImmediate(() => {
          run = 0;
          resetting = false;
        });
      }
      if (++run % PUBLISH_RUN === 0) setImmediate(done);
      else done();
    },
  };
  const broker = await Aedes.createBroker(brokerOptions);
  const server: Server = options.tls
    ? createTlsServer({ ...options.tls, minVersion: 'TLSv1.2' }, broker.handle)
    : createServer(broker.handle);
  const host = options.host ?? '127.0.0.1';
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? DEFAULT_MQTT_PORT, host, () => resolve());
  });
  const port = (server.address() as { port: number }).port;
  return {
    url: `${options.tls ? 'mqtts' : 'mqtt'}://${host}:${port}`,
    connectInProcess: () => {
      const [client, broker_] = duplexPair();
      broker.handle(broker_);
      return client;
    },
    close: async () => {
      await new Promise<void>((resolve) => broker.close(() => resolve()));
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
