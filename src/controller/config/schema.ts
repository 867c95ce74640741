// The controller configuration file (version 1): the hardware of one controller — its reader buses,
// readers, I/O modules, and how each door is wired (lock relay, door contact, request-to-exit,
// people counter) — plus fire and tamper inputs. The access policy itself comes from the server's
// snapshot; this file says only which wire is which. docs/controllers.md explains every key, and
// examples/controller.yaml is a documented example the tests load. No key or secret ever goes in
// here: reader and card keys live in the controller's encrypted key store (src/controller/keys).

import { z } from 'zod';

const id = z.string().regex(/^[A-Za-z0-9._-]{1,64}$/, 'letters, digits, ".", "_" or "-" (at most 64)');
const hex = (minBytes: number, maxBytes: number) =>
  z
    .string()
    .regex(/^([0-9a-fA-F]{2})+$/, 'hexadecimal bytes')
    .refine(
      (s) => s.length / 2 >= minBytes && s.length / 2 <= maxBytes,
      minBytes === maxBytes ? `exactly ${minBytes} bytes` : `${minBytes} to ${maxBytes} bytes`,
    );
const hostPort = z
  .string()
  .regex(/^[A-Za-z0-9.:[\]-]+:\d{1,5}$/, 'host:port')
  .refine((s) => Number(s.slice(s.lastIndexOf(':') + 1)) <= 65535, 'port at most 65535');
const ms = (min: number, max: number) => z.number().int().min(min).max(max);

/** A baud rate OSDP allows (osdp.md §1). */
export const BAUD_RATES = [9600, 19200, 38400, 57600, 115200, 230400] as const;

const busSchema = z
  .strictObject({
    id,
    /** an RS-485 adapter's device, e.g. /dev/ttyUSB0 (or /dev/serial/by-id/…) */
    serial: z.string().min(1).optional(),
    /** a serial-to-Ethernet adapter, host:port; reconnects by itself */
    tcp: hostPort.optional(),
    baud: z
      .number()
      .int()
      .refine((b) => (BAUD_RATES as readonly number[]).includes(b), `one of ${BAUD_RATES.join(', ')}`)
      .default(9600),
    /** how often each idle reader is polled (libosdp: 50 ms) */
    pollMs: ms(5, 1000).default(50),
    /** how long a reader may take to answer (spec: 200 ms) */
    replyTimeoutMs: ms(20, 2000).default(200),
    /** no valid reply for this long: the reader is offline and an alarm goes out (spec: 8 s) */
    offlineMs: ms(500, 60_000).default(8000),
    /** an offline reader is tried again this often */
    retryMs: ms(100, 300_000).default(5000),
  })
  .refine((b) => (b.serial === undefined) !== (b.tcp === undefined), {
    message: 'give exactly one of "serial" and "tcp"',
  });

const side = z.enum(['in', 'out']);

const readerSchema = z.strictObject({
  id,
  bus: id,
  /** OSDP address on its bus, 0 … 126 */
  address: z.number().int().min(0).max(0x7e),
  door: id,
  /** `in` reads people into the door's `to` area, `out` back */
  side: side.default('in'),
  /**
   * Where the secure card is authenticated: `reader` — the reader holds the card keys and reports
   * only the credential; `transparent` — the controller authenticates the card through the reader
   * (osdp_XWR) with the card key from its key store.
   */
  cards: z.enum(['reader', 'transparent']).default('reader'),
  /** factory-fresh reader: it receives its own Secure Channel key by KEYSET on first contact */
  install: z.boolean().default(false),
  /** legacy reader without Secure Channel: every read is flagged insecure */
  plaintext: z.boolean().default(false),
  /** the reader matches fingerprints (template on card or reader) and reports the match */
  biometric: z
    .strictObject({
      /** lowest match score (0 … 255) that counts */
      minScore: z.number().int().min(0).max(255).default(128),
      /** how long the person has to present the finger */
      timeoutMs: ms(1000, 30_000).default(10_000),
    })
    .optional(),
});

const supervisedSchema = z.strictObject({
  /** the loop's value (the module's unit, usually ohms) below this: shorted */
  shortedBelow: z.number().nonnegative().default(200),
  /** from this value: active (door open, button pressed) */
  activeFrom: z.number().positive().default(1500),
  /** from this value: cut */
  cutFrom: z.number().positive().default(5000),
});

/** Where an input comes from: a module's discrete input or analog register, or a reader's input. */
const inputSource = z
  .strictObject({
    module: id.optional(),
    reader: id.optional(),
    /** discrete input number (Modbus function 2), or the reader's input number (osdp_ISTATR) */
    input: z.number().int().min(0).max(65535).optional(),
    /** input register (Modbus function 4) holding an end-of-line supervised loop's value */
    register: z.number().int().min(0).max(65535).optional(),
    /** end-of-line resistor thresholds; `true` for the defaults (1 kΩ normal, 2 kΩ active) */
    supervised: z.union([z.literal(true), supervisedSchema]).optional(),
    /** the input reads 1 when inactive (a normally-closed contact) */
    invert: z.boolean().default(false),
  })
  .refine((s) => (s.module === undefined) !== (s.reader === undefined), {
    message: 'give exactly one of "module" and "reader"',
  })
  .refine((s) => (s.input === undefined) !== (s.register === undefined), {
    message: 'give exactly one of "input" and "register"',
  })
  .refine((s) => s.register === undefined || s.module !== undefined, {
    message: 'registers are read from modules',
    path: ['register'],
  })
  .refine((s) => (s.supervised !== undefined) === (s.register !== undefined), {
    message: 'a register input is an end-of-line supervised loop: add "supervised"',
    path: ['supervised'],
  });

/** Where an output goes: a module's relay (coil) or a reader's output (osdp_OUT). */
const outputTarget = z
  .strictObject({
    module: id.optional(),
    reader: id.optional(),
    /** relay number (Modbus coil) */
    coil: z.number().int().min(0).max(65535).optional(),
    /** the reader's output number */
    output: z.number().int().min(0).max(255).optional(),
    /** `unlock`: energise to release (fail-secure strike, the default); `lock`: energise to hold (fail-safe maglock) */
    energizeTo: z.enum(['unlock', 'lock']).default('unlock'),
  })
  .refine((t) => (t.module === undefined) !== (t.reader === undefined), {
    message: 'give exactly one of "module" and "reader"',
  })
  .refine((t) => (t.module === undefined ? t.output !== undefined : t.coil !== undefined), {
    message: 'a module output needs "coil", a reader output needs "output"',
  });

const counterSchema = z
  .strictObject({
    module: id,
    /** a register that counts people up (16 bits, wraps), or */
    register: z.number().int().min(0).max(65535).optional(),
    /** a beam input: each rising edge is one person */
    input: z.number().int().min(0).max(65535).optional(),
  })
  .refine((c) => (c.register === undefined) !== (c.input === undefined), {
    message: 'give exactly one of "register" and "input"',
  });

export const LEGACY_FORMATS = ['wiegand', 'uid', 'plaintext'] as const;
export type LegacyFormat = (typeof LEGACY_FORMATS)[number];

const doorSchema = z.strictObject({
  /** the door's id on the server */
  id,
  lock: outputTarget.optional(),
  /** door position switch: active = open */
  contact: inputSource.optional(),
  /** request-to-exit button */
  rex: inputSource.optional(),
  /** people counter or beam: more people than grants is tailgating */
  counter: counterSchema.optional(),
  /** a turnstile: one counted passage ends the release, so it passes one person per grant */
  turnstile: z.boolean().default(false),
  /** legacy reads accepted at this door (and flagged in every event); none by default */
  allowLegacy: z.array(z.enum(LEGACY_FORMATS)).max(3).default([]),
});

const moduleSchema = z.strictObject({
  id,
  /** a Modbus TCP I/O module, host:port (port 502 usually) */
  modbus: hostPort,
  /** Modbus unit id */
  unit: z.number().int().min(0).max(255).default(1),
  /** how often inputs and counters are read */
  pollMs: ms(10, 10_000).default(50),
  /** no answer for this long: the module is offline and an alarm goes out */
  timeoutMs: ms(100, 30_000).default(1000),
  /** how many discrete inputs and input registers to read each poll (from 0) */
  inputs: z.number().int().min(0).max(2000).default(8),
  registers: z.number().int().min(0).max(125).default(0),
});

const inputSchema = z
  .strictObject({
    id,
    /** a fire panel contact for this fire zone (active = fire) */
    fire: id.optional(),
    /** a tamper loop (cabinet door, enclosure): active or any wiring fault raises tamper */
    tamper: z.string().min(1).max(100).optional(),
    source: inputSource,
  })
  .refine((i) => (i.fire === undefined) !== (i.tamper === undefined), {
    message: 'give exactly one of "fire" and "tamper"',
  });

export const controllerConfigSchema = z.strictObject({
  version: z.literal(1),
  /** the controller id this file is for; checked against the enrolled identity when given */
  controller: id.optional(),
  /** the Monban card application (docs/cards.md); the master key is in the key store, not here */
  cards: z
    .strictObject({
      /** DESFire application id, 3 bytes as sent on the wire */
      aid: hex(3, 3),
      /** installation identifier mixed into key diversification */
      systemId: hex(1, 21),
    })
    .optional(),
  keyStore: z
    .strictObject({
      /**
       * A passphrase that protects the key store together with the controller's identity key:
       * `env:NAME` (an environment variable) or `file:PATH` (e.g. a systemd credential). Without it
       * only the identity key protects the store.
       */
      passphrase: z
        .string()
        .regex(/^(env:[A-Za-z_][A-Za-z0-9_]*|file:\/.+)$/, 'env:NAME or file:/absolute/path')
        .optional(),
    })
    .default({}),
  buses: z.array(busSchema).max(32).default([]),
  readers: z.array(readerSchema).max(512).default([]),
  modules: z.array(moduleSchema).max(64).default([]),
  doors: z.array(doorSchema).min(1).max(512),
  inputs: z.array(inputSchema).max(512).default([]),
});

export type ControllerConfig = z.infer<typeof controllerConfigSchema>;
export type BusConfig = ControllerConfig['buses'][number];
export type ReaderConfig = ControllerConfig['readers'][number];
export type ModuleConfig = ControllerConfig['modules'][number];
export type DoorConfig = ControllerConfig['doors'][number];
export type InputConfig = ControllerConfig['inputs'][number];
export type InputSource = z.infer<typeof inputSource>;
export type OutputTarget = z.infer<typeof outputTarget>;
export type CounterConfig = z.infer<typeof counterSchema>;
export type Supervision = z.infer<typeof supervisedSchema>;
export const DEFAULT_SUPERVISION: Supervision = supervisedSchema.parse({});
