// The hardware driver of `monban controller run --config FILE`: the reader buses (OSDP with Secure
// Channel over RS-485 or TCP), the Modbus TCP I/O modules, and the wiring of each door — lock
// output, door contact, request-to-exit, people counter — and of fire and tamper inputs, as the
// configuration file says (config/schema.ts). It implements the agent's driver seam: the
// constructor only stores; `start` opens every port and feeds the agent; `stop` closes what
// `start` opened. A reader or module that disappears raises an alarm and is reconnected by
// itself; the other doors never notice.

import { randomBytes } from 'node:crypto';
import type { Channel } from '../../osdp/channel.ts';
import { ControlPanel, type PdConfig } from '../../osdp/cp.ts';
import { type CpDriver, runControlPanel } from '../../osdp/cp-driver.ts';
import { openSerial } from '../../osdp/serial.ts';
import { connectTcp } from '../../osdp/tcp.ts';
import type { AgentDriver, ControllerAgent } from '../agent.ts';
import type { ControllerConfig, DoorConfig, InputSource, ReaderConfig } from '../config/schema.ts';
import type { DoorIo } from '../door-io.ts';
import type { DoorKeys } from '../keys/key-store.ts';
import { type ReaderBinding, ReaderLoop } from '../reader-loop.ts';
import { ModbusModule, splitHostPort } from './modbus-module.ts';
import { OsdpReaderPort } from './osdp-reader.ts';
import { CounterPoint, InputPoint, type PointChange } from './points.ts';
import { ResilientChannel } from './resilient-channel.ts';

export class DriverStartError extends Error {
  override name = 'DriverStartError';
}

export interface HardwareOptions {
  keys: DoorKeys;
  /** one line of the controller's log (never a secret) */
  log?: (entry: Record<string, unknown>) => void;
  /** how a bus port is opened; tests may point it elsewhere */
  openPort?: (bus: ControllerConfig['buses'][number], onClose: (reason: string) => void) => Promise<Channel>;
  now?: () => number;
}

interface Bus {
  channel: ResilientChannel;
  cp: ControlPanel;
  driver?: CpDriver;
}

/** Something fed by an input's readings. */
interface Sink {
  point: InputPoint;
  label: string;
  apply(change: PointChange): void;
}

const hex = (text: string) => new Uint8Array(Buffer.from(text, 'hex'));

export class HardwareDriver implements AgentDriver, DoorIo {
  private agent: ControllerAgent | undefined;
  private readonly buses: Bus[] = [];
  private readonly modules = new Map<string, ModbusModule>();
  private readonly readers = new Map<string, OsdpReaderPort>();
  private loop: ReaderLoop | undefined;
  /** the lock state each door should have; applied as soon as its output is reachable */
  private readonly unlocked = new Map<string, boolean>();
  private readonly now: () => number;

  constructor(
    private readonly config: ControllerConfig,
    private readonly options: HardwareOptions,
  ) {
    this.now = options.now ?? Date.now;
  }

  /** The reader of this id (for tests and diagnostics). */
  reader(id: string): OsdpReaderPort | undefined {
    return this.readers.get(id);
  }

  async start(agent: ControllerAgent): Promise<void> {
    this.agent = agent;
    const pds = this.config.readers.map((reader) => this.pdConfig(reader));
    for (const bus of this.config.buses) {
      const readers = this.config.readers.filter((r) => r.bus === bus.id);
      const channel = new ResilientChannel(
        (onClose) => this.open(bus, onClose),
        bus.retryMs,
        (up, reason) => this.log({ msg: `bus ${bus.id} ${up ? 'open' : 'down'}`, reason }),
      );
      const cp = new ControlPanel({
        pds: readers.map((r) => pds[this.config.readers.indexOf(r)]!),
        random: (n) => new Uint8Array(randomBytes(n)),
        baud: bus.baud,
        pollIntervalMs: bus.pollMs,
        replyTimeoutMs: bus.replyTimeoutMs,
        offlineAfterMs: bus.offlineMs,
        retryOfflineMs: bus.retryMs,
        clock: () => performance.now(),
      });
      cp.on('warning', (address, reason) =>
        this.log({ msg: 'reader warning', bus: bus.id, address, reason }),
      );
      cp.on('keyset', (address) => {
        const reader = readers.find((r) => r.address === address);
        const key = reader && this.options.keys.pendingReaderKey(reader.id);
        if (reader && key) {
          this.options.keys.confirmReaderKey(reader.id, key);
          this.log({ msg: 'reader installed with its own Secure Channel key', reader: reader.id });
        }
      });
      for (const reader of readers) this.addReader(reader, cp);
      cp.attach(channel);
      this.buses.push({ channel, cp });
    }
    for (const module of this.config.modules) this.modules.set(module.id, new ModbusModule(module));
    this.wireInputs(agent);
    this.loop = new ReaderLoop({ decider: agent, now: this.now }, this.bindings());
    this.loop.start();
    // Ports that are missing now are retried in the background; each reader and module says so.
    for (const bus of this.buses) {
      await bus.channel.start();
      bus.driver = runControlPanel(bus.cp);
    }
    await Promise.all([...this.modules.values()].map((m) => m.start()));
    for (const [door, unlocked] of this.unlocked) this.setUnlocked(door, unlocked);
  }

  async stop(): Promise<void> {
    this.loop?.stop();
    for (const bus of this.buses.splice(0)) {
      bus.driver?.stop();
      await bus.channel.close();
    }
    await Promise.all([...this.modules.values()].map((m) => m.stop()));
    this.modules.clear();
    this.agent = undefined;
  }

  // ---------------------------------------------------------------- outputs

  setUnlocked(door: string, unlocked: boolean): void {
    this.unlocked.set(door, unlocked);
    const lock = this.doorConfig(door)?.lock;
    if (!lock || !this.agent) return;
    const energised = lock.energizeTo === 'unlock' ? unlocked : !unlocked;
    if (lock.module !== undefined) this.modules.get(lock.module)?.setCoil(lock.coil!, energised);
    else
      this.readers
        .get(lock.reader!)
        ?.output(lock.output!, energised)
        .catch(() => {
          // Offline: the reader gets the lock state again when it is back (see addReader).
        });
  }

  // ---------------------------------------------------------------- readers

  private pdConfig(reader: ReaderConfig): PdConfig {
    const keys = this.options.keys;
    if (reader.plaintext) return { address: reader.address, allowPlaintext: true };
    const stored = keys.readerKey(reader.id);
    if (stored) return { address: reader.address, scbk: stored };
    // An install began before the last stop: the reader may or may not have taken the key; bring-up
    // tries both the default key (to install it) and this key (already installed).
    const pending = keys.pendingReaderKey(reader.id);
    if (pending) return { address: reader.address, install: { newScbk: pending, maybeInstalled: true } };
    if (!reader.install)
      throw new DriverStartError(
        `reader ${reader.id} has no Secure Channel key in the key store: set "install: true" for a factory-fresh reader, or import its key (monban controller keys set-reader-key ${reader.id})`,
      );
    // Stored before it is sent, so a stop between KEYSET and its acknowledgement loses nothing.
    const newScbk = new Uint8Array(randomBytes(16));
    keys.setPendingReaderKey(reader.id, newScbk);
    return { address: reader.address, install: { newScbk } };
  }

  private addReader(reader: ReaderConfig, cp: ControlPanel): void {
    const cards = this.config.cards;
    if (reader.cards === 'transparent' && !this.options.keys.hasCardKey)
      throw new DriverStartError(
        `reader ${reader.id} authenticates cards itself (cards: transparent) but the key store holds no card master key: monban controller keys set-card-key`,
      );
    const port = new OsdpReaderPort(cp, reader.address, {
      ...(reader.cards === 'transparent' &&
        cards && {
          transparent: {
            aid: hex(cards.aid),
            keyFor: (uid) => this.options.keys.cardKey(uid, hex(cards.aid), hex(cards.systemId)),
          },
        }),
      onWarning: (reason) => this.log({ msg: 'reader warning', reader: reader.id, reason }),
    });
    // A reader that comes back gets its relay state again.
    port.on('online', (online) => {
      if (!online) return;
      for (const door of this.config.doors)
        if (door.lock?.reader === reader.id && this.unlocked.has(door.id))
          this.setUnlocked(door.id, this.unlocked.get(door.id)!);
    });
    this.readers.set(reader.id, port);
  }

  private bindings(): ReaderBinding[] {
    return this.config.readers.map((reader) => {
      const door = this.doorConfig(reader.door)!;
      return {
        id: reader.id,
        door: reader.door,
        side: reader.side,
        port: this.readers.get(reader.id)!,
        allowLegacy: [...door.allowLegacy, ...(reader.plaintext ? (['plaintext'] as const) : [])],
        ...(reader.biometric && { biometric: reader.biometric }),
      };
    });
  }

  private open(bus: ControllerConfig['buses'][number], onClose: (reason: string) => void): Promise<Channel> {
    if (this.options.openPort) return this.options.openPort(bus, onClose);
    if (bus.serial !== undefined) return openSerial(bus.serial, { baudRate: bus.baud, onClose });
    const [host, port] = splitHostPort(bus.tcp!);
    return connectTcp(host, port, onClose);
  }

  // ---------------------------------------------------------------- inputs

  private wireInputs(agent: ControllerAgent): void {
    const moduleInputs = new Map<string, Sink[]>();
    const moduleRegisters = new Map<string, Sink[]>();
    const readerInputs = new Map<string, Sink[]>();
    const attach = (source: InputSource, sink: Omit<Sink, 'point'>) => {
      const full: Sink = { ...sink, point: new InputPoint(source) };
      const [map, key] =
        source.reader !== undefined
          ? [readerInputs, `${source.reader}/${source.input}`]
          : source.register !== undefined
            ? [moduleRegisters, `${source.module}/${source.register}`]
            : [moduleInputs, `${source.module}/${source.input}`];
      map.set(key, [...(map.get(key) ?? []), full]);
    };
    const known = (door: string) => agent.hasDoor(door);

    for (const door of this.config.doors) {
      if (door.contact)
        attach(door.contact, {
          label: `door ${door.id} contact`,
          apply: (c) => {
            if (c.active !== undefined && known(door.id)) agent.doorSensor(door.id, c.active);
          },
        });
      if (door.rex)
        attach(door.rex, {
          label: `door ${door.id} request-to-exit`,
          apply: (c) => {
            if (c.active === true && known(door.id)) agent.requestToExit(door.id);
          },
        });
      if (door.counter?.input !== undefined)
        attach(
          { module: door.counter.module, input: door.counter.input, invert: false },
          {
            label: `door ${door.id} counter`,
            apply: (c) => {
              if (c.active === true) this.passed(door, 1);
            },
          },
        );
    }
    for (const input of this.config.inputs) {
      attach(input.source, {
        label: `input ${input.id}`,
        apply: (c) => {
          if (c.active === undefined) return;
          if (input.fire !== undefined) agent.fire(input.fire, c.active);
          else if (c.active)
            agent.report({
              type: 'alarm',
              at: this.now(),
              alarm: 'tamper',
              detail: `${input.tamper} opened`,
            });
          else agent.report({ type: 'device', at: this.now(), device: input.id, state: 'normal' });
        },
      });
    }

    // Wiring faults of supervised loops, whatever the loop is for: tamper while cut or shorted.
    const feed = (sinks: Sink[] | undefined, read: (point: InputPoint) => PointChange) => {
      for (const sink of sinks ?? []) {
        const change = read(sink.point);
        if (change.wiring !== undefined) this.wiringChanged(sink.label, change.wiring);
        sink.apply(change);
      }
    };
    const counters = this.config.doors
      .filter((d) => d.counter?.register !== undefined)
      .map((door) => ({ door, point: new CounterPoint() }));
    for (const [id, module] of this.modules) {
      module.on('inputs', (values) =>
        values.forEach((v, i) => feed(moduleInputs.get(`${id}/${i}`), (p) => p.discrete(v))),
      );
      module.on('registers', (values) => {
        values.forEach((v, i) => feed(moduleRegisters.get(`${id}/${i}`), (p) => p.analog(v)));
        for (const { door, point } of counters)
          if (door.counter!.module === id) {
            const count = point.reading(values[door.counter!.register!] ?? 0);
            if (count > 0) this.passed(door, count);
          }
      });
      module.on('link', (online, reason) => {
        const at = this.now();
        agent.report({
          type: 'device',
          at,
          device: id,
          state: online ? 'online' : 'offline',
          detail: reason,
        });
        if (!online)
          agent.report({ type: 'alarm', at, alarm: 'comms_lost', detail: `I/O module ${id} offline` });
        this.log({ msg: `I/O module ${id} ${online ? 'online' : 'offline'}`, reason });
      });
    }
    for (const [id, port] of this.readers)
      port.on('input', (input, active) =>
        feed(readerInputs.get(`${id}/${input}`), (p) => p.discrete(active)),
      );
  }

  private readonly faulted = new Set<string>();

  private wiringChanged(label: string, wiring: string): void {
    const agent = this.agent!;
    const at = this.now();
    if (wiring === 'cut' || wiring === 'shorted') {
      this.faulted.add(label);
      agent.report({ type: 'device', at, device: label, state: wiring });
      agent.report({ type: 'alarm', at, alarm: 'tamper', detail: `${label}: wiring ${wiring}` });
    } else if (this.faulted.delete(label)) {
      agent.report({ type: 'device', at, device: label, state: 'restored' });
    }
  }

  /** People counted through a door: the core checks them against the grants (tailgating). */
  private passed(door: DoorConfig, count: number): void {
    const agent = this.agent;
    if (!agent?.hasDoor(door.id)) return;
    agent.passage(door.id, count);
    // A turnstile passes one person per grant: the rotation ends the release.
    if (door.turnstile && this.unlocked.get(door.id)) {
      agent.doorSensor(door.id, true);
      agent.doorSensor(door.id, false);
    }
  }

  private doorConfig(id: string): DoorConfig | undefined {
    return this.config.doors.find((d) => d.id === id);
  }

  private log(entry: Record<string, unknown>): void {
    this.options.log?.(entry);
  }
}
