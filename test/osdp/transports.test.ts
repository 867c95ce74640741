// A full secure session over real transports: TCP on loopback, and a serial pseudo-terminal pair made
// by socat (the same code path as an RS-485 adapter). Skips the pty test, saying so, without socat.
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { Channel } from '../../src/osdp/channel.ts';
import { ControlPanel } from '../../src/osdp/cp.ts';
import { REPLY } from '../../src/osdp/messages.ts';
import { attachPd } from '../../src/osdp/pd-driver.ts';
import { connectTcp, openSerial, socketChannel } from '../../src/osdp/transport.ts';
import { KEY_A, makePd, seededRandom } from './support.ts';

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

/** Runs the CP on real time until the PD is online and a card read has arrived, or fails after 5 s. */
async function secureSessionOver(
  cpChannel: Channel,
  pdChannel: Channel,
): Promise<{ online: boolean; card?: string }> {
  const pd = makePd({ scbk: KEY_A });
  attachPd(pd, pdChannel, () => performance.now());
  const cp = new ControlPanel({
    pds: [{ address: 1, scbk: KEY_A }],
    random: seededRandom(3).bytes,
    baud: 115200,
  });
  cp.attach(cpChannel);
  let card: string | undefined;
  cp.on('card', (_a, c) => {
    card = Buffer.from(c.data).toString('hex');
  });
  cp.on('online', () =>
    pd.queue({ code: REPLY.RAW, reader: 0, format: 0, bits: 16, data: Uint8Array.of(0xbe, 0xef) }),
  );
  const deadline = performance.now() + 5000;
  while (performance.now() < deadline && card === undefined) {
    cp.refresh(performance.now());
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
  return { online: cp.stateOf(1) === 'online', ...(card !== undefined && { card }) };
}

describe('OSDP over real transports', () => {
  it('runs a secure session over TCP on loopback', async () => {
    let serverSide: Socket | undefined;
    const server: Server = createServer((socket) => {
      serverSide = socket;
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    cleanups.push(() => new Promise<void>((resolve) => server.close(() => resolve())));
    const port = (server.address() as { port: number }).port;
    const cpChannel = await connectTcp('127.0.0.1', port);
    cleanups.push(() => cpChannel.close());
    while (!serverSide) await new Promise((resolve) => setTimeout(resolve, 5));
    const pdChannel = socketChannel(serverSide);
    cleanups.push(() => pdChannel.close());
    const result = await secureSessionOver(cpChannel, pdChannel);
    expect(result).toEqual({ online: true, card: 'beef' });
  });

  const socat = (() => {
    try {
      execFileSync('socat', ['-V'], { stdio: 'ignore' });
      return true;
    } catch {
      return false;
    }
  })();
  it.skipIf(!socat)('runs a secure session over a serial pseudo-terminal pair (socat)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'osdp-pty-'));
    const [a, b] = [join(dir, 'cp'), join(dir, 'pd')];
    const child: ChildProcess = spawn('socat', [`pty,raw,echo=0,link=${a}`, `pty,raw,echo=0,link=${b}`], {
      stdio: 'ignore',
    });
    cleanups.push(async () => {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill();
      await exited;
      rmSync(dir, { recursive: true, force: true });
    });
    while (!existsSync(a) || !existsSync(b)) await new Promise((resolve) => setTimeout(resolve, 10));
    const cpChannel = await openSerial(a, 115200);
    cleanups.push(() => cpChannel.close());
    const pdChannel = await openSerial(b, 115200);
    cleanups.push(() => pdChannel.close());
    const result = await secureSessionOver(cpChannel, pdChannel);
    expect(result).toEqual({ online: true, card: 'beef' });
  });
  if (!socat) it('pty test skipped: socat is not installed (apt-get install socat)', () => {});
});
