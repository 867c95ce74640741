// The in-process connection between the server's MQTT client and its embedded broker: bytes arrive
// whole and in order both ways, a writer past the buffer waits for the reader, and closing one end
// closes the other.
import { once } from 'node:events';
import { describe, expect, it } from 'vitest';
import { duplexPair } from '../../../src/server/mqtt/embedded-broker.ts';

describe('duplexPair', () => {
  it('carries bytes both ways, in order, and holds a writer until its reader reads', async () => {
    const [a, b] = duplexPair();
    const chunk = Buffer.alloc(1 << 20, 7);
    // 8 MiB with nobody reading: the buffer (4 MiB) fills and write() says to wait.
    let full = false;
    for (let i = 0; i < 8; i++) if (!a.write(chunk)) full = true;
    expect(full).toBe(true);
    const got: Buffer[] = [];
    b.on('data', (d: Buffer) => got.push(d));
    a.end();
    await once(b, 'end');
    expect(Buffer.concat(got).equals(Buffer.alloc(8 << 20, 7))).toBe(true);
    // The other way too.
    b.write('pong');
    const [back] = (await once(a, 'data')) as [Buffer];
    expect(back.toString()).toBe('pong');
  });

  it('closes the other end when one is destroyed', async () => {
    const [a, b] = duplexPair();
    const closed = once(b, 'close');
    a.destroy();
    await closed;
    expect(b.destroyed).toBe(true);
  });
});
