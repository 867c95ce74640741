// The embedded MQTT broker (aedes) the server runs by default, on loopback and on a port that does
// not clash with a system broker (1883). MONBAN_MQTT_URL points server and controllers at an
// external broker (Mosquitto, EMQX) instead. Message integrity does not depend on the broker:
// every message is signed end to end (src/contracts/envelope.ts).

import { createServer, type Server } from 'node:net';
import { Aedes } from 'aedes';

export const DEFAULT_MQTT_PORT = 18830;

export interface EmbeddedBroker {
  url: string;
  close(): Promise<void>;
}

export async function startEmbeddedBroker(
  options: { host?: string; port?: number } = {},
): Promise<EmbeddedBroker> {
  const broker = await Aedes.createBroker();
  const server: Server = createServer(broker.handle);
  const host = options.host ?? '127.0.0.1';
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? DEFAULT_MQTT_PORT, host, () => resolve());
  });
  const port = (server.address() as { port: number }).port;
  return {
    url: `mqtt://${host}:${port}`,
    close: async () => {
      await new Promise<void>((resolve) => broker.close(() => resolve()));
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
