// Channels over real transports: TCP (node:net) and serial ports through `serialport` for RS-485
// adapters (and pseudo-terminals in tests).

import { createConnection, type Socket } from 'node:net';
import type { Channel } from './channel.ts';

/** Wraps a connected socket. */
export function socketChannel(socket: Socket): Channel {
  return {
    send: (bytes) => {
      socket.write(bytes);
    },
    onData: (listener) => {
      socket.on('data', (chunk: Buffer) => listener(new Uint8Array(chunk)));
    },
    close: () =>
      new Promise((resolve) => {
        if (socket.destroyed) return resolve();
        socket.once('close', () => resolve());
        socket.destroy();
      }),
  };
}

export function connectTcp(host: string, port: number): Promise<Channel> {
  return new Promise((resolve, reject) => {
    const socket = createConnection({ host, port }, () => {
      socket.off('error', reject);
      resolve(socketChannel(socket));
    });
    socket.once('error', reject);
  });
}

/** Opens a serial port (RS-485 adapter or pty) at 8N1. */
export async function openSerial(path: string, baudRate: number): Promise<Channel> {
  const { SerialPort } = await import('serialport');
  const port = new SerialPort({ path, baudRate, dataBits: 8, parity: 'none', stopBits: 1, autoOpen: false });
  await new Promise<void>((resolve, reject) => port.open((error) => (error ? reject(error) : resolve())));
  return {
    send: (bytes) => {
      port.write(Buffer.from(bytes));
    },
    onData: (listener) => {
      port.on('data', (chunk: Buffer) => listener(new Uint8Array(chunk)));
    },
    close: () =>
      new Promise((resolve) => {
        if (!port.isOpen) return resolve();
        port.close(() => resolve());
      }),
  };
}
