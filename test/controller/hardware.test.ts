// The hardware driver inside a real agent, with real protocols and simulated devices: two OSDP
// readers on one bus behind a serial-to-Ethernet adapter (TCP), and a Modbus TCP I/O module. A
// factory-fresh reader gets its own key on first contact, kept in the encrypted key store; locks
// follow decisions on the module's relay and on the reader's own output; the door contact, a
// supervised loop and a people counter feed the core; a module outage and a dropped adapter
// connection raise an alarm once and heal by themselves.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeCard } from '../../src/cards/encode.ts';
import { parseControllerConfig } from '../../src/controller/config/load.ts';
import { HardwareDriver } from '../../src/controller/drivers/hardware.ts';
import { FileKeyStore } from '../../src/controller/keys/key-store.ts';
import type { Channel } from '../../src/osdp/channel.ts';
import { attachPd } from '../../src/osdp/pd-driver.ts';
import { isDefaultKey } from '../../src/osdp/sc.ts';
import { listenTcp, type TcpListener } from '../../src/osdp/tcp.ts';
import { SimulatedCard } from '../../src/sim/card.ts';
import { SimulatedReader } from '../../src/sim/reader.ts';
import { type OfflineAgent, offlineAgent } from '../support/agent.ts';
import { freePort, waitFor } from '../support/fleet.ts';
import { SimulatedIoModule } from '../support/io-module.ts';
import { site } from '../support/sites.ts';

const cardKeys = {
  masterKey: Uint8Array.from({ length: 16 }, (_, i) => 0x31 + i),
  aid: Uint8Array.of(0x01, 0x4d, 0xf5),
  systemId: Uint8Array.of(7),
};

describe('hardware driver: OSDP readers over TCP and a Modbus TCP module', () => {
  let io: SimulatedIoModule;
  let adapter: TcpListener;
  const channels: Channel[] = [];
  let connections = 0;
  let ctl: OfflineAgent;
  let hardware: HardwareDriver;
  let keys: FileKeyStore;
  const readers = [1, 2].map(
    (address) => new SimulatedReader({ address, installMode: true, cardKeys, outputs: 1, inputs: 1 }),
  );
  const card = (id: string) => {
    const c = new SimulatedCard();
    encodeCard(c, cardKeys, { systemId: 7, id, issue: 1 });
    return c;
  };
  const events = () => ctl.journaled();
  const alarms = (kind: string) => events().filter((e) => e.type === 'alarm' && e.detail.alarm === kind);

  beforeAll(async () => {
    io = new SimulatedIoModule(await freePort());
    await io.start();
    adapter = await listenTcp('127.0.0.1', 0, (channel) => {
      connections++;
      channels.push(channel);
      for (const reader of readers) attachPd(reader.pd, channel, () => performance.now());
    });
    const config = parseControllerConfig(
      `
version: 1
buses:
  - { id: eth, tcp: "127.0.0.1:${adapter.port}", baud: 115200, offlineMs: 1500, retryMs: 200 }
readers:
  - { id: R1, bus: eth, address: 1, door: D1, install: true }
  - { id: R2, bus: eth, address: 2, door: D2, install: true }
modules:
  - { id: io-1, modbus: "127.0.0.1:${io.port}", pollMs: 20, timeoutMs: 300, inputs: 8, registers: 4 }
doors:
  - id: D1
    lock: { reader: R1, output: 0 }
    contact: { reader: R1, input: 0 }
  - id: D2
    lock: { module: io-1, coil: 0 }
    contact: { module: io-1, input: 0 }
    counter: { module: io-1, register: 1 }
inputs:
  - { id: cabinet, tamper: cabinet door, source: { module: io-1, register: 0, supervised: true } }
`,
      'test.yaml',
    );
    ctl = offlineAgent(
      site({
        areas: [{ id: 'room' }],
        doors: [
          { id: 'D1', from: 'outside', to: 'room', strikeSeconds: 1 },
          { id: 'D2', from: 'outside', to: 'room', strikeSeconds: 1, heldOpenSeconds: 30 },
        ],
        levels: [{ id: 'all', doors: ['D1', 'D2'] }],
        people: [{ id: 'alice', levels: ['all'], credentials: [{ type: 'card', id: 'C-1001' }] }],
      }),
      {
        now: Date.now(),
        realClock: true,
        hardware: (dir, identity) => {
          keys = FileKeyStore.open({ dataDir: dir, identityKey: identity.privateKey, controllerId: 'ctl-t' });
          hardware = new HardwareDriver(config, { keys });
          return hardware;
        },
      },
    );
    await ctl.agent.start();
  }, 20_000);

  afterAll(async () => {
    await ctl?.close();
    await adapter?.close();
    await io?.stop();
  });

  it('installs each factory-fresh reader with a key of its own, kept in the key store', async () => {
    await waitFor('both readers installed', () => keys.readerKey('R1') && keys.readerKey('R2'), 15_000);
    const [k1, k2] = [keys.readerKey('R1')!, keys.readerKey('R2')!];
    expect(Buffer.from(k1).equals(Buffer.from(k2))).toBe(false);
    expect(isDefaultKey(k1) || isDefaultKey(k2)).toBe(false);
    await waitFor(
      'secure sessions with the new keys',
      () => readers.every((r) => r.pd.secure && !r.pd.inInstallMode),
      15_000,
    );
    await waitFor(
      'both readers online',
      () => hardware.reader('R1')?.online && hardware.reader('R2')?.online,
      15_000,
    );
  });

  it("releases the lock on the reader's own output, and locks it again when the strike time is over", async () => {
    readers[0]!.presentCard(card('C-1001'));
    await waitFor('the reader relay on', () => readers[0]!.outputs[0] === true, 5_000);
    await waitFor('the reader relay off again', () => readers[0]!.outputs[0] === false, 5_000);
    // The door contact is the reader's input: opened without a grant, the door is forced.
    readers[0]!.setInput(0, true);
    await waitFor('forced_open', () => alarms('forced_open').some((a) => a.door === 'D1'), 5_000);
    readers[0]!.setInput(0, false);
  });

  it('drives the relay on the module and counts people through its counter', async () => {
    readers[1]!.presentCard(card('C-1001'));
    await waitFor('the module relay on', () => io.coils[0] === true, 5_000);
    io.inputs[0] = true;
    await waitFor(
      'the door seen open',
      () => events().some((e) => e.type === 'door' && e.door === 'D2' && e.detail.phase === 'open'),
      5_000,
    );
    io.inputs[0] = false;
    // One grant, two people: tailgating.
    io.registers[1] = (io.registers[1]! + 2) & 0xffff;
    await waitFor('tailgating', () => alarms('tailgating').some((a) => a.door === 'D2'), 5_000);
    expect(alarms('forced_open').filter((a) => a.door === 'D2')).toHaveLength(0);
    await waitFor('the module relay off again', () => io.coils[0] === false, 5_000);
  });

  it('raises tamper when a supervised loop is cut, and records its restore', async () => {
    io.registers[0] = 60_000; // open circuit
    await waitFor(
      'tamper',
      () => alarms('tamper').some((a) => String(a.detail.detail).includes('wiring cut')),
      5_000,
    );
    io.registers[0] = 1000;
    await waitFor(
      'restored',
      () => events().some((e) => e.type === 'device' && e.detail.state === 'restored'),
      5_000,
    );
  });

  it('raises one alarm when the module goes away, and rewrites its relays when it is back', async () => {
    const before = alarms('comms_lost').length;
    await io.stop();
    await waitFor('module offline', () => alarms('comms_lost').length > before, 5_000);
    await new Promise((r) => setTimeout(r, 1500));
    expect(alarms('comms_lost').length).toBe(before + 1);
    io.coils[0] = true; // what a restarted module might hold
    await io.start();
    await waitFor(
      'module online',
      () =>
        events().some(
          (e) => e.type === 'device' && e.detail.device === 'io-1' && e.detail.state === 'online',
        ),
      5_000,
    );
    await waitFor('the relay rewritten', () => io.coils[0] === false, 5_000);
  });

  it('reconnects by itself when the adapter drops the connection; the readers keep working', async () => {
    const before = connections;
    for (const channel of channels.splice(0)) await channel.close();
    await waitFor('a new connection', () => connections > before, 5_000);
    await waitFor('R1 online again', () => hardware.reader('R1')?.online, 10_000);
    const grants = () =>
      events().filter((e) => e.type === 'access' && e.door === 'D1' && e.detail.result === 'grant').length;
    const had = grants();
    readers[0]!.presentCard(card('C-1001'));
    await waitFor('a grant after reconnecting', () => grants() > had, 5_000);
  });
});
