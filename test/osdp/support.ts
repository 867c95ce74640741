// Shared pieces for OSDP tests: a deterministic random source, a PD factory, a rig that joins a real
// CP and a real PD in memory and drives them with a fake clock, and a byte comparison that prints a
// hexdump diff on mismatch.

import { fromHex, hex } from '../../src/osdp/bytes.ts';
import { loopbackPair, type Noise } from '../../src/osdp/channel.ts';
import { ControlPanel, type CpOptions, type PdConfig } from '../../src/osdp/cp.ts';
import { xorshift } from '../../src/osdp/fuzz.ts';
import type { Command } from '../../src/osdp/messages.ts';
import { type PdOptions, PeripheralDevice } from '../../src/osdp/pd.ts';
import { attachPd } from '../../src/osdp/pd-driver.ts';

/** Seeded byte source: tests are repeatable. Never used outside tests. */
export function seededRandom(seed: number): { bytes: (n: number) => Uint8Array; unit: () => number } {
  const unit = xorshift(seed);
  return { bytes: (n) => Uint8Array.from({ length: n }, () => Math.floor(unit() * 256)), unit };
}

export const KEY_A = Uint8Array.from({ length: 16 }, (_, i) => 0x40 + i);
export const KEY_B = Uint8Array.from({ length: 16 }, (_, i) => 0x90 + i);

/** Side-by-side hexdump of two byte strings, 16 per row, differing bytes marked with `^`. */
export function hexdumpDiff(expected: Uint8Array, actual: Uint8Array): string {
  const rows: string[] = [];
  const cell = (b: number | undefined) =>
    b === undefined ? '  ' : b.toString(16).padStart(2, '0').toUpperCase();
  for (let offset = 0; offset < Math.max(expected.length, actual.length); offset += 16) {
    const range = Array.from({ length: 16 }, (_, i) => offset + i);
    const e = range.map((i) => cell(expected[i])).join(' ');
    const a = range.map((i) => cell(actual[i])).join(' ');
    const marks = range.map((i) => (expected[i] === actual[i] ? '  ' : '^^')).join(' ');
    const at = offset.toString(16).padStart(4, '0');
    rows.push(`${at}  expected ${e}`.trimEnd(), `      actual   ${a}`.trimEnd());
    if (marks.trim()) rows.push(`               ${marks}`.trimEnd());
  }
  return rows.join('\n');
}

/** Byte-exact comparison; the failure message is a hexdump diff. */
export function expectBytes(actual: Uint8Array | undefined, expected: string | Uint8Array): void {
  const want = typeof expected === 'string' ? fromHex(expected) : expected;
  if (actual === undefined) throw new Error(`no bytes; expected ${hex(want)}`);
  if (hex(actual) !== hex(want))
    throw new Error(
      `bytes differ (expected ${want.length}, got ${actual.length})\n${hexdumpDiff(want, actual)}`,
    );
}

export function makePd(overrides: Partial<PdOptions> = {}, commands: Command[] = []): PeripheralDevice {
  const random = seededRandom(99);
  return new PeripheralDevice({
    address: 1,
    cUid: Uint8Array.of(1, 2, 3, 4, 5, 6, 7, 8),
    id: {
      vendor: Uint8Array.of(0x0a, 0x0b, 0x0c),
      model: 1,
      version: 2,
      serial: 123456,
      firmware: [1, 0, 0],
    },
    capabilities: [
      { function: 8, compliance: 1, items: 0 },
      { function: 9, compliance: 1, items: 1 },
      { function: 4, compliance: 4, items: 1 },
    ],
    random: random.bytes,
    onCommand: (command) => {
      commands.push(command);
      return undefined;
    },
    ...overrides,
  });
}

export interface Rig {
  cp: ControlPanel;
  pd: PeripheralDevice;
  clock: { now: number };
  /** advances the fake clock in steps, calling refresh() and letting the channels deliver */
  pump(ms: number, step?: number): Promise<void>;
  /** what the CP reported, in order */
  log: string[];
  close(): Promise<void>;
}

/** Lets microtask deliveries (loopback) and the promise reactions after them run. */
export async function settle(rounds = 8): Promise<void> {
  for (let i = 0; i < rounds; i++) await Promise.resolve();
}

export function rig(
  pdConfig: Partial<PdConfig>,
  pd: PeripheralDevice,
  options: Partial<CpOptions> = {},
  noise?: Noise,
): Rig {
  const clock = { now: 1_000 };
  const [cpEnd, pdEnd] = loopbackPair(noise);
  const cp = new ControlPanel({
    pds: [{ address: 1, ...pdConfig }],
    random: seededRandom(7).bytes,
    retryOfflineMs: 1000,
    clock: () => clock.now,
    ...options,
  });
  const log: string[] = [];
  cp.on('online', (a, info) => log.push(`online ${a}${info.secure ? ' secure' : ' plaintext'}`));
  cp.on('offline', (a, why) => log.push(`offline ${a}: ${why}`));
  cp.on('warning', (a, why) => log.push(`warning ${a}: ${why}`));
  cp.on('keyset', (a) => log.push(`keyset ${a}`));
  cp.attach(cpEnd);
  attachPd(pd, pdEnd, () => clock.now);
  return {
    cp,
    pd,
    clock,
    log,
    async pump(ms, step = 10) {
      for (let t = 0; t < ms; t += step) {
        cp.refresh(clock.now);
        await settle();
        clock.now += step;
      }
    },
    async close() {
      await cpEnd.close();
      await pdEnd.close();
    },
  };
}
