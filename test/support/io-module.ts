// A simulated Modbus TCP I/O module (a DIN-rail board with relays, inputs and analog registers),
// served by modbus-serial's own server on a loopback port: the controller's driver speaks real Modbus
// TCP to it. `stop()` and `start()` again on the same port for an outage.

import type { ServerTCP } from 'modbus-serial';
import ModbusRTU from 'modbus-serial';

export class SimulatedIoModule {
  readonly inputs: boolean[] = Array.from({ length: 8 }, () => false);
  readonly registers: number[] = Array.from({ length: 4 }, () => 1000);
  readonly coils: boolean[] = Array.from({ length: 8 }, () => false);
  /** every coil write, in order */
  readonly writes: [number, boolean][] = [];
  private server: ServerTCP | undefined;

  constructor(readonly port: number) {}

  async start(): Promise<void> {
    const server = new ModbusRTU.ServerTCP(
      {
        getDiscreteInput: (addr: number) => this.inputs[addr] ?? false,
        getInputRegister: (addr: number) => this.registers[addr] ?? 0,
        getCoil: (addr: number) => this.coils[addr] ?? false,
        setCoil: (addr: number, value: boolean) => {
          this.coils[addr] = value;
          this.writes.push([addr, value]);
        },
      },
      { host: '127.0.0.1', port: this.port, unitID: 1 },
    );
    server.on('socketError', () => {});
    await new Promise<void>((resolve) => server.on('initialized', () => resolve()));
    this.server = server;
  }

  async stop(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    if (!server) return;
    await new Promise<void>((resolve) => server.close(() => resolve()));
    for (const sock of server.socks.keys()) sock.destroy();
  }
}
