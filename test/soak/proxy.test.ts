// The soak's link proxy (scripts/soak/proxy.ts) is a TCP path whose faults must be only the ones it
// is asked for: latency that changes midway — up, down, back to none — delays bytes but never
// reorders them (a reordered MQTT stream is garbage to TLS, not a delay), and a partition drops the
// open connection and refuses new ones until healed.
import { createConnection, createServer, type Server, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { LinkProxy } from '../../scripts/soak/proxy.ts';

const closers: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const close of closers.splice(0).reverse()) await close();
});

/** A TCP server that keeps what each connection sent. */
async function sink(): Promise<{ port: number; received: () => string; connections: () => number }> {
  let data = '';
  let connections = 0;
  const sockets = new Set<Socket>();
  const server: Server = createServer((socket) => {
    connections++;
    sockets.add(socket);
    socket.on('data', (chunk) => {
      data += chunk.toString();
    });
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => {});
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  closers.push(async () => {
    for (const s of sockets) s.destroy();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });
  return {
    port: (server.address() as { port: number }).port,
    received: () => data,
    connections: () => connections,
  };
}

async function through(proxy: LinkProxy): Promise<Socket> {
  const socket = createConnection({ host: '127.0.0.1', port: proxy.port });
  socket.on('error', () => {});
  await new Promise<void>((resolve) => socket.once('connect', () => resolve()));
  closers.push(async () => {
    socket.destroy();
  });
  return socket;
}

const until = async (what: string, ok: () => boolean, timeoutMs = 20_000) => {
  const deadline = Date.now() + timeoutMs;
  while (!ok()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
};

describe('soak link proxy', () => {
  it('keeps every byte in order while the delay changes under it', async () => {
    const target = await sink();
    const proxy = new LinkProxy(() => target.port, 'test');
    await proxy.start();
    closers.push(() => proxy.close());
    const socket = await through(proxy);
    const delays = [30, 5, 0, 25, 1, 0, 15, 3];
    let sent = '';
    for (let i = 0; i < 800; i++) {
      if (i % 25 === 0) proxy.setDelay(delays[(i / 25) % delays.length]!);
      const line = `${i}\n`;
      sent += line;
      socket.write(line);
      // A turn of the event loop between writes, so the proxy sees many chunks, not one.
      await new Promise((r) => setImmediate(r));
    }
    proxy.setDelay(0);
    await until('every byte through the proxy', () => target.received().length >= sent.length);
    expect(target.received()).toBe(sent);
  });

  it('drops the open connection on a partition and refuses new ones until healed', async () => {
    const target = await sink();
    const proxy = new LinkProxy(() => target.port, 'test');
    await proxy.start();
    closers.push(() => proxy.close());
    const socket = await through(proxy);
    socket.write('before\n');
    await until('the first line', () => target.received() === 'before\n');
    const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
    proxy.partition();
    await closed;
    const refused = createConnection({ host: '127.0.0.1', port: proxy.port });
    refused.on('error', () => {});
    await new Promise<void>((resolve) => refused.once('close', () => resolve()));
    expect(target.connections()).toBe(1);
    proxy.heal();
    const again = await through(proxy);
    again.write('after\n');
    await until('the line after healing', () => target.received() === 'before\nafter\n');
    expect(target.connections()).toBe(2);
  });
});
