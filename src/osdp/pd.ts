// The OSDP peripheral device (reader side): answers one command at a time, resends its cached reply
// on a repeated sequence number, runs the Secure Channel handshake, and refuses everything but the
// discovery and handshake commands outside a secure session once it holds a key. The default key
// SCBK-D is accepted only in install mode.

import { constantTimeEqual } from './bytes.ts';
import {
  type Capability,
  CMD,
  type Command,
  decodeCommand,
  encodeReply,
  NAK,
  type PdId,
  REPLY,
  type Reply,
} from './messages.ts';
import { BROADCAST, buildPacket, type ParsedPacket, parsePacket } from './phy.ts';
import {
  clientCryptogram,
  deriveSessionKeys,
  initialRmac,
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
const SC_TIMEOUT_MS = 8000;

export interface PdOptions {
  address: number;
  /** the installed Secure Channel base key; undefined until provisioned */
  scbk?: Uint8Array;
  /** factory state: accepts one session with SCBK-D, to receive its key by KEYSET */
  installMode?: boolean;
  cUid: Uint8Array;
  id: PdId;
  capabilities: Capability[];
  /** cryptographic randomness for RND.B */
  random: (bytes: number) => Uint8Array;
  /** LED, buzzer, output, text, COMSET, MFG …: the application's answer (ACK when undefined) */
  onCommand?: (command: Command) => Reply | undefined;
  /** a new SCBK was set by KEYSET: persist it; the PD leaves install mode */
  onKeySet?: (scbk: Uint8Array) => void;
  /** for link statistics and tests */
  onReject?: (why: string) => void;
}

interface Handshake {
  keys: SessionKeys;
  rndA: Uint8Array;
  rndB: Uint8Array;
  selector: number;
}

export class PeripheralDevice {
  private scbk: Uint8Array | undefined;
  private installMode: boolean;
  private lastSequence = -1;
  private cachedReply: Uint8Array | undefined;
  private handshake: Handshake | undefined;
  private session: SecureSession | undefined;
  private lastSecureAt = 0;
  private pendingKey: Uint8Array | undefined;
  private readonly events: Reply[] = [];
  /** status reported by LSTATR */
  tamper = false;
  powerFailure = false;

  constructor(private readonly options: PdOptions) {
    this.scbk = options.scbk?.slice();
    this.installMode = options.installMode ?? false;
  }

  get secure(): boolean {
    return this.session !== undefined;
  }

  get inInstallMode(): boolean {
    return this.installMode;
  }

  /** Queues an event (card read, keypad, status) for the next POLL. */
  queue(event: Reply): void {
    this.events.push(event);
  }

  /**
   * Handles one frame from the bus (SOM … check, as FrameDecoder returns it). Returns the reply bytes
   * to send, or undefined when the frame is not for this PD.
   */
  receive(frame: Uint8Array, now: number): Uint8Array | undefined {
    let packet: ParsedPacket;
    try {
      packet = parsePacket(frame);
    } catch {
      return undefined;
    }
    if (packet.reply) return undefined; // another PD's reply on a shared bus
    if (packet.address !== this.options.address && packet.address !== BROADCAST) return undefined;
    if (this.session && now - this.lastSecureAt > SC_TIMEOUT_MS) this.dropSession('session timed out');

    if (packet.sequence === 0) {
      // SQN 0 restarts the conversation: forget the cached reply and any session.
      this.lastSequence = -1;
      this.cachedReply = undefined;
      this.dropSession(undefined);
    } else if (packet.sequence === this.lastSequence && this.cachedReply) {
      // The CP did not get our reply: send exactly the same bytes again.
      return this.cachedReply;
    } else if (this.lastSequence >= 0 && packet.sequence !== (this.lastSequence % 3) + 1) {
      return this.answer(packet, { code: REPLY.NAK, error: NAK.SEQUENCE }, false);
    }

    const reply = this.handle(packet, now);
    const bytes = this.answer(packet, reply.reply, reply.sealed, reply.scb);
    this.lastSequence = packet.sequence;
    this.cachedReply = bytes;
    if (this.pendingKey) this.commitKey();
    return bytes;
  }

  private handle(
    packet: ParsedPacket,
    now: number,
  ): { reply: Reply; sealed: boolean; scb?: { type: number; data: Uint8Array } } {
    const scbType = packet.scb?.type;
    if (scbType === SCS.CHLNG) return this.onChallenge(packet);
    if (scbType === SCS.SCRYPT) return this.onServerCryptogram(packet, now);

    let data = packet.data;
    let sealed = false;
    if (this.session) {
      const opened = this.session.openCommand(packet);
      if (!opened.ok) {
        this.dropSession(`command rejected: ${opened.why}`);
        return { reply: { code: REPLY.NAK, error: NAK.SC_CONDITIONS }, sealed: false };
      }
      data = opened.data;
      sealed = true;
      this.lastSecureAt = now;
    } else if (scbType !== undefined) {
      this.reject('secure command without a session');
      return { reply: { code: REPLY.NAK, error: NAK.SC_CONDITIONS }, sealed: false };
    } else if (this.scbk !== undefined && !ALLOWED_IN_CLEAR.has(packet.code)) {
      this.reject('plaintext command refused: a key is installed');
      return { reply: { code: REPLY.NAK, error: NAK.SC_CONDITIONS }, sealed: false };
    }

    const command = decodeCommand(packet.code, data);
    if (command === undefined) {
      const known = Object.values(CMD).includes(packet.code as never);
      return { reply: { code: REPLY.NAK, error: known ? NAK.LENGTH : NAK.UNKNOWN_COMMAND }, sealed };
    }
    return { reply: this.execute(command, sealed), sealed };
  }

  private execute(command: Command, sealed: boolean): Reply {
    switch (command.code) {
      case CMD.POLL:
        return this.events.shift() ?? { code: REPLY.ACK };
      case CMD.ID:
        return { code: REPLY.PDID, ...this.options.id };
      case CMD.CAP:
        return { code: REPLY.PDCAP, capabilities: this.options.capabilities };
      case CMD.LSTAT:
        return { code: REPLY.LSTATR, tamper: this.tamper, powerFailure: this.powerFailure };
      case CMD.KEYSET:
        // A key only ever travels inside a secure session (osdp.md §6.6).
        if (!sealed || command.keyType !== 0x01 || command.key.length !== 16) {
          this.reject('KEYSET refused outside a secure session or malformed');
          return { code: REPLY.NAK, error: sealed ? NAK.RECORD : NAK.SC_CONDITIONS };
        }
        this.pendingKey = command.key.slice();
        return { code: REPLY.ACK };
      default:
        return this.options.onCommand?.(command) ?? { code: REPLY.ACK };
    }
  }

  private onChallenge(packet: ParsedPacket): {
    reply: Reply;
    sealed: boolean;
    scb?: { type: number; data: Uint8Array };
  } {
    this.dropSession(undefined);
    const selector = packet.scb!.data[0] ?? -1;
    const command = decodeCommand(packet.code, packet.data);
    if (packet.code !== CMD.CHLNG || command?.code !== CMD.CHLNG || !packet.useCrc) {
      return { reply: { code: REPLY.NAK, error: NAK.SC_CONDITIONS }, sealed: false };
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

  private onServerCryptogram(
    packet: ParsedPacket,
    now: number,
  ): { reply: Reply; sealed: boolean; scb?: { type: number; data: Uint8Array } } {
    const handshake = this.handshake;
    this.handshake = undefined;
    const command = decodeCommand(packet.code, packet.data);
    if (
      handshake === undefined ||
      command?.code !== CMD.SCRYPT ||
      packet.scb!.data[0] !== handshake.selector
    ) {
      this.reject('unexpected server cryptogram');
      return { reply: { code: REPLY.NAK, error: NAK.SC_UNSUPPORTED }, sealed: false };
    }
    const expected = serverCryptogram(handshake.keys, handshake.rndA, handshake.rndB);
    if (!constantTimeEqual(expected, command.cryptogram)) {
      this.reject('server cryptogram does not match: wrong key');
      return { reply: { code: REPLY.NAK, error: NAK.SC_UNSUPPORTED }, sealed: false };
    }
    const rmac = initialRmac(handshake.keys, command.cryptogram);
    this.session = new SecureSession(handshake.keys, rmac);
    this.lastSecureAt = now;
    return {
      reply: { code: REPLY.RMAC_I, rmac },
      sealed: false,
      scb: { type: SCS.RMAC_I, data: Uint8Array.of(0x01) },
    };
  }

  private answer(
    packet: ParsedPacket,
    reply: Reply,
    sealed: boolean,
    scb?: { type: number; data: Uint8Array },
  ): Uint8Array {
    const base = {
      address: packet.address === BROADCAST ? BROADCAST : this.options.address,
      reply: true,
      sequence: packet.sequence,
      useCrc: true,
      code: reply.code,
    };
    const data = encodeReply(reply);
    // NAK and BUSY always go in clear (osdp.md §6.5).
    if (sealed && this.session && reply.code !== REPLY.NAK && reply.code !== REPLY.BUSY)
      return this.session.sealReply(base, data);
    return buildPacket({ ...base, ...(scb && { scb }), data });
  }

  private commitKey(): void {
    this.scbk = this.pendingKey;
    this.pendingKey = undefined;
    this.installMode = false;
    this.options.onKeySet?.(this.scbk!.slice());
    // The new key takes effect with the next handshake.
    this.dropSession(undefined);
  }

  private dropSession(why: string | undefined): void {
    if (why !== undefined && this.session) this.reject(why);
    this.session = undefined;
  }

  private reject(why: string): void {
    this.options.onReject?.(why);
  }
}
