// A full secure session over real transports: TCP on loopback, and a serial pseudo-terminal pair
// made by socat (the same code path as an RS-485 adapter). Without socat the pty test is skipped
// with a message saying so; CI installs it.
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { Channel } from '../../src/osdp/channel.ts';
import { ControlPanel } from '../../src/osdp/cp.ts';
import { runControlPanel } from '../../src/osdp/cp-driver.ts';
import { REPLY } from '../../src/osdp/messages.ts';
import { attachPd } from '../../src/osdp/pd-driver.ts';
import { openSerial } from '../../src/osdp/serial.ts';
import { connectTcp, listenTcp } from '../../src/osdp/tcp.ts';
import { KEY_A, makePd, seededRandom } from './support.ts';

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Runs the CP in real time until the PD is online and a card read has crossed, or gives up after
 * 10 s (a guard against hanging, not a timing assertion).
 */
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
  const driver = runControlPanel(cp, { intervalMs: 2 });
  try {
    for (let waited = 0; waited < 10_000 && card === undefined; waited += 10) await sleep(10);
  } finally {
    driver.stop();
  }
  return { online: cp.isSecure(1), ...(card !== undefined && { card }) };
}

function hasSocat(): boolean {
  try {
    execFileSync('socat', ['-V'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

describe('OSDP over real transports', () => {
  it('runs a secure session over TCP on loopback', async () => {
    let pdChannel: Channel | undefined;
    const listener = await listenTcp('127.0.0.1', 0, (channel) => {
      pdChannel = channel;
    });
    cleanups.push(() => listener.close());
    const cpChannel = await connectTcp('127.0.0.1', listener.port);
    cleanups.push(() => cpChannel.close());
    while (!pdChannel) await sleep(5);
    const result = await secureSessionOver(cpChannel, pdChannel);
    expect(result).toEqual({ online: true, card: 'beef' });
  });

  const socat = hasSocat();
  if (!socat) console.warn('OSDP pty test skipped: socat is not installed (apt-get install socat)');
  it.skipIf(!socat)('runs a secure session over a serial pseudo-terminal pair made by socat', async () => {
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
    for (let i = 0; i < 500 && (!existsSync(a) || !existsSync(b)); i++) await sleep(10);
    const cpChannel = await openSerial(a, { baudRate: 115200 });
    cleanups.push(() => cpChannel.close());
    const pdChannel = await openSerial(b, { baudRate: 115200 });
    cleanups.push(() => pdChannel.close());
    const result = await secureSessionOver(cpChannel, pdChannel);
    expect(result).toEqual({ online: true, card: 'beef' });
  });
});
