// The OSDP peripheral device (reader side). It answers one command at a time; resends its cached
// reply byte-for-byte when the CP repeats a sequence number (so a lost reply never re-runs a command
// or re-advances the MAC chain); runs the Secure Channel handshake; and, once it holds a key, refuses
// everything but discovery and the handshake outside a secure session. The published default key
// SCBK-D is honoured only in install mode. Time comes in with each frame: no timers in here.

import { constantTimeEqual } from './bytes.ts';
import { CAP, CMD, isCommandCode, KEY_TYPE_SCBK, NAK, REPLY } from './codes.ts';
import { type Command, decodeCommand } from './commands.ts';
import { BROADCAST, buildPacket, type ParsedPacket, parsePacket } from './phy.ts';
import { type Capability, encodeReply, type PdId, type Reply } from './replies.ts';
import {
  checkBaseKey,
  clientCryptogram,
  deriveSessionKeys,
  initialRmac,
  isDefaultKey,
  KEY_SELECTOR_DEFAULT,
  KEY_SELECTOR_SCBK,
  SCBK_D,
  SCS,
  type SessionKeys,
  serverCryptogram,
} from './sc.ts';
import { SecureSession } from './secure-session.ts';

/** Without a secure session, a PD that holds a key answers only these (osdp.md §6.5). */
const ALLOWED_IN_CLEAR = new Set<number>([CMD.ID, CMD.CAP, CMD.CHLNG, CMD.SCRYPT]);
/** libosdp's choice, kept (osdp.md §9.4): a session with no valid secure command for 8 s is dropped. */
export const PD_SC_TIMEOUT_MS = 8000;
/** No valid command from the CP for this long: the PD considers the CP gone (spec off-line time). */
export const PD_OFFLINE_MS = 8000;
const BAUD_RATES = new Set([9600, 19200, 38400, 57600, 115200, 230400]);

export interface PdOptions {
  /** 0x00 … 0x7E */
  address: number;
  /** the installed Secure Channel base key; undefined until provisioned */
  scbk?: Uint8Array;
  /** factory state: accepts one session with SCBK-D, to receive its key by KEYSET */
  installMode?: boolean;
  /** client UID sent in osdp_CCRYPT */
  cUid: Uint8Array;
  id: PdId;
  capabilities: Capability[];
  /** cryptographic randomness for RND.B */
  random: (bytes: number) => Uint8Array;
  /** send the 0xFF mark byte before each reply (v2.2 asks for it); default true */
  mark?: boolean;
  /**
   * The application's answer to LED, BUZ, OUT, TEXT, MFG, FILETRANSFER and the commands this
   * library carries opaquely. Undefined means ACK for the output commands and NAK 3 (unknown
   * command) for the rest. Returning osdp_BUSY makes the CP ask again later.
   */
  onCommand?: (command: Command) => Reply | undefined;
  /** a new SCBK was set by KEYSET: persist it; the PD has left install mode */
  onKeySet?: (scbk: Uint8Array) => void;
  /** COMSET was answered: the PD now answers at `address`; the application changes the baud rate */
  onComSet?: (address: number, baud: number) => void;
  /** why a frame was refused, for link statistics and tests (never key material) */
  onReject?: (why: string) => void;
}

interface Handshake {
  keys: SessionKeys;
  rndA: Uint8Array;
  rndB: Uint8Array;
  selector: number;
}

interface Outcome {
  reply: Reply;
  /** seal with the session (the command arrived inside it) */
  sealed: boolean;
  scb?: { type: number; data: Uint8Array };
}

/** Commands that only drive outputs: ACK is the right default answer. */
const OUTPUT_COMMANDS = new Set<number>([CMD.LED, CMD.BUZ, CMD.OUT, CMD.TEXT]);

export class PeripheralDevice {
  private address: number;
  private scbk: Uint8Array | undefined;
  private installMode: boolean;
  private lastSequence = -1;
  private cachedReply: Uint8Array | undefined;
  private handshake: Handshake | undefined;
  private session: SecureSession | undefined;
  private sessionDeadline = 0;
  private lastCommandAt = Number.NEGATIVE_INFINITY;
  private afterReply: (() => void) | undefined;
  private readonly events: Reply[] = [];
  /** the CP's maximum reply size from osdp_ACURXSIZE (informational) */
  acuRxSize: number | undefined;
  /** status reported by LSTATR, ISTATR, OSTATR, RSTATR */
  tamper = false;
  powerFailure = false;
  inputs: number[] = [];
  outputs: number[] = [];
  readers: number[] = [];

  constructor(private readonly options: PdOptions) {
    if (!Number.isInteger(options.address) || options.address < 0 || options.address > 0x7e)
      throw new RangeError('a PD address is 0x00 … 0x7E');
    if (options.cUid.length !== 8) throw new RangeError('cUID must be 8 bytes');
    this.address = options.address;
    this.scbk = options.scbk && checkBaseKey(options.scbk, 'the PD key');
    this.installMode = options.installMode ?? false;
  }

  get secure(): boolean {
    return this.session !== undefined;
  }

  get inInstallMode(): boolean {
    return this.installMode;
  }

  get currentAddress(): number {
    return this.address;
  }

  /** Whether the CP has sent a valid command within the off-line time. */
  cpOnline(now: number): boolean {
    return now - this.lastCommandAt < PD_OFFLINE_MS;
  }

  /** Queues an event (card read, keypad, status) for the next POLL. */
  queue(event: Reply): void {
    this.events.push(event);
  }

  /** Events not yet collected by a POLL. */
  get queued(): number {
    return this.events.length;
  }

  /**
   * Handles one frame from the bus (SOM … check, as FrameDecoder returns it). Returns the reply bytes
   * to send, or undefined when the frame is not for this PD. Never throws.
   */
  receive(frame: Uint8Array, now: number): Uint8Array | undefined {
    let packet: ParsedPacket;
    try {
      packet = parsePacket(frame);
    } catch {
      return undefined;
    }
    // bit 7 set: another PD's reply on a shared bus, never a command.
    if (packet.reply) return undefined;
    if (packet.address !== this.address && packet.address !== BROADCAST) return undefined;
    this.lastCommandAt = now;
    if (this.session && now > this.sessionDeadline) this.dropSession('session timed out');

    if (packet.sequence === 0) {
      // SQN 0 restarts the conversation: forget the cached reply and any session (osdp.md §3).
      this.lastSequence = -1;
      this.cachedReply = undefined;
      this.dropSession(undefined);
    } else if (packet.sequence === this.lastSequence && this.cachedReply) {
      // The CP did not get our reply: the very same bytes again, nothing re-executed.
      return this.cachedReply;
    } else if (this.lastSequence >= 0 && packet.sequence !== (this.lastSequence % 3) + 1) {
      this.reject('unexpected sequence number');
      this.dropSession(undefined);
      return this.answer(packet, { reply: { code: REPLY.NAK, error: NAK.SEQUENCE }, sealed: false });
    }

    const outcome = this.handle(packet, now);
    if (outcome.reply.code === REPLY.BUSY) {
      // BUSY goes with SQN 0, in clear, and is not cached: the CP repeats the same command later and
      // it must then be processed for real (osdp.md §3).
      return this.answer({ ...packet, sequence: 0 }, { reply: outcome.reply, sealed: false });
    }
    const bytes = this.answer(packet, outcome);
    this.lastSequence = packet.sequence;
    this.cachedReply = bytes;
    const after = this.afterReply;
    this.afterReply = undefined;
    after?.();
    return bytes;
  }

  private handle(packet: ParsedPacket, now: number): Outcome {
    const scbType = packet.scb?.type;
    if (scbType === SCS.CHLNG) return this.onChallenge(packet);
    if (scbType === SCS.SCRYPT) return this.onServerCryptogram(packet, now);

    let data = packet.data;
    let sealed = false;
    if (this.session) {
      const opened = this.session.openCommand(packet);
      if (!opened.ok) {
        // Any MAC, padding or plaintext failure ends the session (osdp.md §6.5).
        this.dropSession(`command rejected: ${opened.why}`);
        return { reply: { code: REPLY.NAK, error: NAK.SC_CONDITIONS }, sealed: false };
      }
      data = opened.data;
      sealed = true;
      this.sessionDeadline = Math.max(this.sessionDeadline, now + PD_SC_TIMEOUT_MS);
    } else if (scbType !== undefined) {
      this.reject('secure command without a session');
      return { reply: { code: REPLY.NAK, error: NAK.SC_CONDITIONS }, sealed: false };
    } else if (this.scbk !== undefined && !ALLOWED_IN_CLEAR.has(packet.code)) {
      this.reject('plaintext command refused: a key is installed');
      return { reply: { code: REPLY.NAK, error: NAK.SC_CONDITIONS }, sealed: false };
    }

    const command = decodeCommand(packet.code, data);
    if (command === undefined) {
      const error = isCommandCode(packet.code) ? NAK.LENGTH : NAK.UNKNOWN_COMMAND;
      return { reply: { code: REPLY.NAK, error }, sealed };
    }
    return { reply: this.execute(command, sealed, now), sealed };
  }

  private execute(command: Command, sealed: boolean, now: number): Reply {
    switch (command.code) {
      case CMD.POLL:
        return this.events.shift() ?? { code: REPLY.ACK };
      case CMD.ID:
        return { code: REPLY.PDID, ...this.options.id };
      case CMD.CAP:
        return { code: REPLY.PDCAP, capabilities: this.options.capabilities };
      case CMD.LSTAT:
        return { code: REPLY.LSTATR, tamper: this.tamper, powerFailure: this.powerFailure };
      case CMD.ISTAT:
        return { code: REPLY.ISTATR, inputs: [...this.inputs] };
      case CMD.OSTAT:
        return { code: REPLY.OSTATR, outputs: [...this.outputs] };
      case CMD.RSTAT:
        return { code: REPLY.RSTATR, readers: [...this.readers] };
      case CMD.KEYSET:
        return this.onKeySet(command, sealed);
      case CMD.COMSET:
        return this.onComSet(command);
      case CMD.ACURXSIZE:
        this.acuRxSize = command.size;
        return { code: REPLY.ACK };
      case CMD.KEEPACTIVE:
        if (this.session) this.sessionDeadline = Math.max(this.sessionDeadline, now + command.ms);
        return { code: REPLY.ACK };
      case CMD.ABORT:
        this.options.onCommand?.(command);
        return { code: REPLY.ACK };
      case CMD.CHLNG:
      case CMD.SCRYPT:
        // Only valid with their security blocks, which handle() routes before decoding.
        this.reject('handshake command without its security block');
        return { code: REPLY.NAK, error: NAK.SC_CONDITIONS };
      default:
        return this.applicationReply(command);
    }
  }

  private applicationReply(command: Command): Reply {
    let reply: Reply | undefined;
    try {
      reply = this.options.onCommand?.(command);
    } catch {
      // An application fault must not take the link down: the CP is told the record failed.
      this.reject('application handler failed');
      return { code: REPLY.NAK, error: NAK.RECORD };
    }
    if (reply) return reply;
    return OUTPUT_COMMANDS.has(command.code)
      ? { code: REPLY.ACK }
      : { code: REPLY.NAK, error: NAK.UNKNOWN_COMMAND };
  }

  private onKeySet(command: Extract<Command, { code: typeof CMD.KEYSET }>, sealed: boolean): Reply {
    // A key only ever travels inside a secure session (osdp.md §6.6).
    if (!sealed) {
      this.reject('KEYSET refused outside a secure session');
      return { code: REPLY.NAK, error: NAK.SC_CONDITIONS };
    }
    if (command.keyType !== KEY_TYPE_SCBK || command.key.length !== 16 || isDefaultKey(command.key)) {
      this.reject('KEYSET refused: not a usable SCBK');
      return { code: REPLY.NAK, error: NAK.RECORD };
    }
    const key = command.key.slice();
    // The ACK goes out sealed with the old session; only then is the key switched (osdp.md §6.6).
    this.afterReply = () => {
      this.scbk = key;
      this.installMode = false;
      this.dropSession(undefined);
      this.options.onKeySet?.(key.slice());
    };
    return { code: REPLY.ACK };
  }

  private onComSet(command: Extract<Command, { code: typeof CMD.COMSET }>): Reply {
    if (command.address > 0x7e || !BAUD_RATES.has(command.baud)) {
      this.reject('COMSET refused: unsupported address or baud rate');
      return { code: REPLY.NAK, error: NAK.RECORD };
    }
    // Answer with the new settings at the old ones, then switch (as libosdp does).
    this.afterReply = () => {
      this.address = command.address;
      this.lastSequence = -1;
      this.cachedReply = undefined;
      this.dropSession(undefined);
      this.options.onComSet?.(command.address, command.baud);
    };
    return { code: REPLY.COM, address: command.address, baud: command.baud };
  }

  private onChallenge(packet: ParsedPacket): Outcome {
    this.dropSession(undefined);
    this.handshake = undefined;
    const selector = packet.scb!.data[0] ?? -1;
    const command = decodeCommand(packet.code, packet.data);
    if (command?.code !== CMD.CHLNG || packet.scb!.data.length !== 1) {
      this.reject('malformed challenge');
      return { reply: { code: REPLY.NAK, error: NAK.SC_CONDITIONS }, sealed: false };
    }
    if (!packet.useCrc) {
      // Secure Channel requires CRC (osdp.md §2.2, SIA conformance issue #41).
      this.reject('challenge sent with a checksum');
      return { reply: { code: REPLY.NAK, error: NAK.SC_CONDITIONS }, sealed: false };
    }
    if (!this.supportsSecureChannel()) {
      return { reply: { code: REPLY.NAK, error: NAK.SC_UNSUPPORTED }, sealed: false };
    }
    let base: Uint8Array | undefined;
    if (selector === KEY_SELECTOR_DEFAULT) {
      if (!this.installMode) {
        this.reject('default key refused outside install mode');
        return { reply: { code: REPLY.NAK, error: NAK.SC_UNSUPPORTED }, sealed: false };
      }
      base = SCBK_D;
    } else if (selector === KEY_SELECTOR_SCBK) {
      base = this.scbk;
    }
    if (base === undefined) {
      this.reject('no key for the requested key selector');
      return { reply: { code: REPLY.NAK, error: NAK.SC_UNSUPPORTED }, sealed: false };
    }
    const rndB = this.options.random(8);
    const keys = deriveSessionKeys(base, command.rndA);
    this.handshake = { keys, rndA: command.rndA, rndB, selector };
    return {
      reply: {
        code: REPLY.CCRYPT,
        cUid: this.options.cUid,
        rndB,
        cryptogram: clientCryptogram(keys, command.rndA, rndB),
      },
      sealed: false,
      scb: { type: SCS.CCRYPT, data: Uint8Array.of(selector) },
    };
  }

  private onServerCryptogram(packet: ParsedPacket, now: number): Outcome {
    const handshake = this.handshake;
    this.handshake = undefined;
    const command = decodeCommand(packet.code, packet.data);
    if (
      handshake === undefined ||
      command?.code !== CMD.SCRYPT ||
      !packet.useCrc ||
      packet.scb!.data.length !== 1 ||
      packet.scb!.data[0] !== handshake.selector
    ) {
      this.reject('unexpected server cryptogram');
      return { reply: { code: REPLY.NAK, error: NAK.SC_UNSUPPORTED }, sealed: false };
    }
    const expected = serverCryptogram(handshake.keys, handshake.rndA, handshake.rndB);
    if (!constantTimeEqual(expected, command.cryptogram)) {
      // NAK 5 as libosdp does; the CP also understands the SIA tool's RMAC_I with SCB data 0xFF.
      this.reject('server cryptogram does not match: wrong key');
      return { reply: { code: REPLY.NAK, error: NAK.SC_UNSUPPORTED }, sealed: false };
    }
    const rmac = initialRmac(handshake.keys, command.cryptogram);
    this.session = new SecureSession(handshake.keys, rmac);
    this.sessionDeadline = now + PD_SC_TIMEOUT_MS;
    return {
      reply: { code: REPLY.RMAC_I, rmac },
      sealed: false,
      scb: { type: SCS.RMAC_I, data: Uint8Array.of(0x01) },
    };
  }

  private supportsSecureChannel(): boolean {
    const sc = this.options.capabilities.find((c) => c.function === CAP.COMMUNICATION_SECURITY);
    // A PD that does not list FC 9 at all is treated as capable: the option describes a reader
    // built on this library, which always has AES-128.
    return sc === undefined || (sc.compliance & 0x01) === 1;
  }

  private answer(packet: ParsedPacket, outcome: Outcome): Uint8Array {
    let reply = outcome.reply;
    let data: Uint8Array;
    try {
      data = encodeReply(reply);
    } catch {
      // The application handed back a reply that does not encode: report it, keep the link.
      this.reject('application reply does not encode');
      reply = { code: REPLY.NAK, error: NAK.RECORD };
      data = encodeReply(reply);
    }
    const base = {
      // A reply to the broadcast address is sent from 0x7F (osdp.md §2.1).
      address: packet.address === BROADCAST ? BROADCAST : this.address,
      reply: true,
      sequence: packet.sequence,
      useCrc: true,
      code: reply.code,
    };
    const mark = this.options.mark ?? true;
    // NAK and BUSY always go in clear (osdp.md §6.5).
    if (outcome.sealed && this.session && reply.code !== REPLY.NAK && reply.code !== REPLY.BUSY)
      return this.session.sealReply(base, data, mark);
    return buildPacket({ ...base, ...(outcome.scb && { scb: outcome.scb }), data }, { mark });
  }

  private dropSession(why: string | undefined): void {
    if (why !== undefined && this.session) this.reject(why);
    this.session = undefined;
  }

  private reject(why: string): void {
    this.options.onReject?.(why);
  }
}
