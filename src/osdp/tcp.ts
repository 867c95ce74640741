// OSDP over TCP (node:net): for serial-to-Ethernet adapters and for tests on loopback. The CP side
// connects; the PD side (a simulated reader, or a bridge) listens and gets one channel per peer.

import { createConnection, createServer, type Socket } from 'node:net';
import type { Channel } from './channel.ts';

/** Wraps a connected socket. */
export function socketChannel(socket: Socket): Channel {
  // Latency matters more than packet count on a poll/response link.
  socket.setNoDelay(true);
  // A reset connection must not become an unhandled 'error' that ends the process: the link layer
  // sees the silence as missing replies and reports the PD offline.
  socket.on('error', () => socket.destroy());
  return {
    send: (bytes) => {
      if (!socket.destroyed) socket.write(bytes);
    },
    onData: (listener) => {
      socket.on('data', (chunk: Uint8Array) => listener(new Uint8Array(chunk)));
    },
    close: () =>
      new Promise((resolve) => {
        if (socket.destroyed) return resolve();
        socket.once('close', () => resolve());
        socket.destroy();
      }),
  };
}

/**
 * Connects to `host:port`. `onClose` hears when the connection ends by itself (the adapter
 * restarted, the network failed), so the application can connect again; not after close().
 */
export function connectTcp(host: string, port: number, onClose?: (reason: string) => void): Promise<Channel> {
  return new Promise((resolve, reject) => {
    const socket = createConnection({ host, port }, () => {
      socket.off('error', reject);
      const channel = socketChannel(socket);
      let closing = false;
      socket.once('close', () => {
        if (!closing) onClose?.('connection closed');
      });
      resolve({
        ...channel,
        close: () => {
          closing = true;
          return channel.close();
        },
      });
    });
    socket.once('error', reject);
  });
}

export interface TcpListener {
  port: number;
  /** stops listening and closes every accepted connection */
  close(): Promise<void>;
}

/** Listens on `host:port` (port 0 = any free port); each accepted connection becomes a channel. */
export function listenTcp(
  host: string,
  port: number,
  onChannel: (channel: Channel) => void,
): Promise<TcpListener> {
  const sockets = new Set<Socket>();
  const server = createServer((socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
    onChannel(socketChannel(socket));
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve({
        port: (server.address() as { port: number }).port,
        close: async () => {
          const closed = new Promise<void>((done) => server.close(() => done()));
          for (const socket of sockets) socket.destroy();
          await closed;
        },
      });
    });
  });
}
