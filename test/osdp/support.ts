// Shared pieces for OSDP tests: a deterministic random source, a PD factory, and a pump that drives a
// control panel with a fake clock while in-memory channels deliver on microtasks.

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
  pump(ms: number, step?: number): Promise<void>;
  close(): Promise<void>;
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
    ...options,
  });
  cp.attach(cpEnd);
  attachPd(pd, pdEnd, () => clock.now);
  return {
    cp,
    pd,
    clock,
    async pump(ms, step = 10) {
      for (let t = 0; t < ms; t += step) {
        cp.refresh(clock.now);
        for (let i = 0; i < 4; i++) await Promise.resolve();
        clock.now += step;
      }
    },
    async close() {
      await cpEnd.close();
      await pdEnd.close();
    },
  };
}
