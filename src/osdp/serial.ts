// OSDP over a serial port through `serialport`: an RS-485 adapter (or a pseudo-terminal in tests).
// The only file of the library that touches `serialport`, loaded on first use so that applications
// without serial hardware never load its native binding.

import type { Channel } from './channel.ts';

export interface SerialOptions {
  /** default 9600, the usual factory setting of readers */
  baudRate?: number;
  /** the port closed by itself (an adapter unplugged): the application may open it again */
  onClose?: (reason: string) => void;
}

/** Opens a serial port at 8N1 (the only framing OSDP uses). */
export async function openSerial(path: string, options: SerialOptions | number = {}): Promise<Channel> {
  const baudRate = typeof options === 'number' ? options : (options.baudRate ?? 9600);
  const { SerialPort } = await import('serialport');
  const port = new SerialPort({ path, baudRate, dataBits: 8, parity: 'none', stopBits: 1, autoOpen: false });
  await new Promise<void>((resolve, reject) => port.open((error) => (error ? reject(error) : resolve())));
  // Write errors surface as 'error' events; the link layer sees them as missing replies.
  port.on('error', () => {});
  let closing = false;
  if (typeof options !== 'number' && options.onClose) {
    const onClose = options.onClose;
    port.on('close', (error?: Error) => {
      if (!closing) onClose(error?.message ?? 'port closed');
    });
  }
  return {
    send: (bytes) => {
      if (port.isOpen) port.write(Uint8Array.from(bytes));
    },
    onData: (listener) => {
      port.on('data', (chunk: Uint8Array) => listener(new Uint8Array(chunk)));
    },
    close: () =>
      new Promise((resolve) => {
        closing = true;
        if (!port.isOpen) return resolve();
        port.close(() => resolve());
      }),
  };
}
