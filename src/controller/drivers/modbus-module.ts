// A Modbus TCP I/O module (DIN-rail relay and input boards) through modbus-serial: its discrete
// inputs and input registers are read every `pollMs`; its relays (coils) are written at once when a
// door's lock changes. A module that stops answering is reported offline once and reconnected every
// second; when it answers again, every relay is written again (a module that restarted may have
// dropped them) and its inputs are read fresh. Requests go one at a time, in order.

import type { ModuleConfig } from '../config/schema.ts';

export interface ModuleEvents {
  /** every poll's values; callers compare with what they saw before */
  inputs(values: readonly boolean[]): void;
  registers(values: readonly number[]): void;
  /** the module answered again, or stopped answering (reason) */
  link(online: boolean, reason: string): void;
}

interface ModbusClient {
  connectTCP(host: string, options: { port: number }): Promise<void>;
  setID(id: number): void;
  setTimeout(ms: number): void;
  readDiscreteInputs(address: number, length: number): Promise<{ data: boolean[] }>;
  readInputRegisters(address: number, length: number): Promise<{ data: number[] }>;
  writeCoil(address: number, value: boolean): Promise<unknown>;
  close(callback: () => void): void;
  readonly isOpen: boolean;
}

const RECONNECT_MS = 1000;

export class ModbusModule {
  private client: ModbusClient | undefined;
  private online: boolean | undefined;
  private timer: NodeJS.Timeout | undefined;
  private stopped = true;
  private chain: Promise<unknown> = Promise.resolve();
  private readonly coils = new Map<number, boolean>();
  private readonly listeners: { [E in keyof ModuleEvents]: ModuleEvents[E][] } = {
    inputs: [],
    registers: [],
    link: [],
  };

  constructor(readonly config: ModuleConfig) {}

  on<E extends keyof ModuleEvents>(event: E, listener: ModuleEvents[E]): void {
    this.listeners[event].push(listener);
  }

  get isOnline(): boolean {
    return this.online === true;
  }

  async start(): Promise<void> {
    this.stopped = false;
    await this.connect();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    this.timer = undefined;
    await this.chain.catch(() => {});
    await this.disconnect();
  }

  /** Sets a relay now (and again after every reconnect). */
  setCoil(coil: number, on: boolean): void {
    this.coils.set(coil, on);
    if (this.online)
      this.enqueue((client) => client.writeCoil(coil, on)).catch((error) => this.failed(error));
  }

  private enqueue<T>(request: (client: ModbusClient) => Promise<T>): Promise<T> {
    const run = this.chain.then(() => {
      const client = this.client;
      if (!client || this.stopped) throw new Error('not connected');
      return request(client);
    });
    this.chain = run.catch(() => {});
    return run;
  }

  private async connect(): Promise<void> {
    if (this.stopped) return;
    const [host, port] = splitHostPort(this.config.modbus);
    const { default: ModbusRTU } = (await import('modbus-serial')) as unknown as {
      default: new () => ModbusClient;
    };
    const client = new ModbusRTU();
    try {
      await client.connectTCP(host, { port });
      client.setID(this.config.unit);
      client.setTimeout(this.config.timeoutMs);
      this.client = client;
      for (const [coil, on] of this.coils) await this.enqueue((c) => c.writeCoil(coil, on));
      await this.poll();
    } catch (error) {
      if (this.client === client) this.client = undefined;
      await new Promise<void>((resolve) => (client.isOpen ? client.close(() => resolve()) : resolve()));
      this.setLink(false, (error as Error).message);
      this.schedule(RECONNECT_MS, () => this.connect());
    }
  }

  private async disconnect(): Promise<void> {
    const client = this.client;
    this.client = undefined;
    if (client?.isOpen) await new Promise<void>((resolve) => client.close(() => resolve()));
  }

  private async poll(): Promise<void> {
    if (this.stopped || !this.client) return;
    const { inputs, registers } = this.config;
    if (inputs > 0) {
      const result = await this.enqueue((c) => c.readDiscreteInputs(0, inputs));
      this.setLink(true, 'answering');
      for (const l of this.listeners.inputs) l(result.data.slice(0, inputs));
    }
    if (registers > 0) {
      const result = await this.enqueue((c) => c.readInputRegisters(0, registers));
      this.setLink(true, 'answering');
      for (const l of this.listeners.registers) l(result.data.slice(0, registers));
    }
    if (inputs === 0 && registers === 0) this.setLink(true, 'connected');
    this.schedule(this.config.pollMs, () => this.poll().catch((error) => this.failed(error)));
  }

  private failed(error: unknown): void {
    if (this.stopped) return;
    clearTimeout(this.timer);
    this.timer = undefined;
    this.setLink(false, (error as Error).message ?? 'no answer');
    void this.disconnect().then(() => this.schedule(RECONNECT_MS, () => this.connect()));
  }

  private schedule(ms: number, next: () => Promise<void>): void {
    if (this.stopped) return;
    clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.timer = undefined;
      void next();
    }, ms);
  }

  private setLink(online: boolean, reason: string): void {
    if (this.online === online) return;
    const first = this.online === undefined;
    this.online = online;
    // Starting up offline is news (an alarm); starting up online is not.
    if (first && online) return;
    for (const l of this.listeners.link) l(online, reason);
  }
}

export function splitHostPort(text: string): [string, number] {
  const at = text.lastIndexOf(':');
  return [text.slice(0, at).replace(/^\[|\]$/g, ''), Number(text.slice(at + 1))];
}
