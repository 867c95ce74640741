// The OSDP control panel: drives the PDs on one channel, one command at a time (the bus is
// half-duplex). Each PD's link is a state machine written as two tables — the next state on success
// and on error — with every side effect of entering a state in `enterState`, like libosdp.
//
//   reset (ID, SQN 0) → cap → chlng → scrypt → online            (with a key)
//   reset (ID, SQN 0) → cap → chlng → scrypt → keyset → reset …  (install mode: provision the key first)
//   any error → offline → (after a pause) reset
//
// Time is passed in: the application calls `refresh(now)` regularly (see `startControlPanel`).

import { EventEmitter } from 'node:events';
import { constantTimeEqual } from './bytes.ts';
import type { Channel } from './channel.ts';
import {
  type Capability,
  CMD,
  type Command,
  decodeReply,
  encodeCommand,
  NAK,
  type PdId,
  REPLY,
  type Reply,
} from './messages.ts';
import { buildPacket, FrameDecoder, type ParsedPacket, parsePacket } from './phy.ts';
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

export type LinkState = 'offline' | 'reset' | 'cap' | 'chlng' | 'scrypt' | 'keyset' | 'online';

export interface PdConfig {
  address: number;
  /** the PD's Secure Channel base key */
  scbk?: Uint8Array;
  /**
   * Provisioning: open one session with the default key SCBK-D, install `newScbk` with KEYSET, then
   * reconnect with it. Only for an operator-initiated install; never a fallback.
   */
  install?: { newScbk: Uint8Array };
  /** run without Secure Channel (legacy readers): reported as insecure on every event */
  allowPlaintext?: boolean;
}

export interface CpOptions {
  pds: PdConfig[];
  random: (bytes: number) => Uint8Array;
  /** line speed, for reply timeouts that include the command's wire time */
  baud?: number;
  pollIntervalMs?: number;
  replyTimeoutMs?: number;
  retries?: number;
  /** no valid reply for this long: the PD is offline (spec: 8 s) */
  offlineAfterMs?: number;
  /** pause before trying an offline PD again */
  retryOfflineMs?: number;
}

export interface CpEvents {
  online: [address: number, info: { id?: PdId; capabilities?: Capability[]; secure: boolean }];
  offline: [address: number, reason: string];
  card: [
    address: number,
    card: { reader: number; format: number; bits: number; data: Uint8Array; secure: boolean },
  ];
  keypad: [address: number, keypad: { reader: number; keys: string; secure: boolean }];
  status: [address: number, status: { tamper: boolean; powerFailure: boolean }];
  reply: [address: number, reply: Reply];
  keyset: [address: number];
  /** a rejected frame or handshake: the reason, never key material */
  warning: [address: number, reason: string];
}

interface Pending {
  command: Command;
  resolve: (reply: Reply) => void;
  reject: (error: Error) => void;
}

interface Transaction {
  bytes: Uint8Array;
  command: Command;
  sentAt: number;
  attempts: number;
  pending?: Pending;
}

interface Link {
  config: PdConfig;
  state: LinkState;
  sequence: number;
  session?: SecureSession;
  handshake?: { keys: SessionKeys; rndA: Uint8Array; selector: number };
  /** the PD's RND.B from CCRYPT, to check RMAC-I */
  pendingRndB?: Uint8Array;
  lastValidAt: number;
  lastPollAt: number;
  stateSince: number;
  queue: Pending[];
  id?: PdId;
  capabilities?: Capability[];
  keyProvisioned: boolean;
}

const NEXT_ON_SUCCESS: Record<LinkState, (link: Link) => LinkState> = {
  offline: () => 'reset',
  reset: () => 'cap',
  cap: (link) =>
    link.config.allowPlaintext && !link.config.scbk && !link.config.install ? 'online' : 'chlng',
  chlng: () => 'scrypt',
  scrypt: (link) => (link.config.install && !link.keyProvisioned ? 'keyset' : 'online'),
  keyset: () => 'reset',
  online: () => 'online',
};

const NEXT_ON_ERROR: Record<LinkState, LinkState> = {
  offline: 'offline',
  reset: 'offline',
  cap: 'offline',
  chlng: 'offline',
  scrypt: 'offline',
  keyset: 'offline',
  online: 'reset',
};

export class ControlPanel extends EventEmitter<CpEvents> {
  private readonly links: Link[];
  private readonly decoder = new FrameDecoder();
  private channel: Channel | undefined;
  private current: { link: Link; tx: Transaction } | undefined;
  private next = 0;
  private now = 0;
  private readonly opts: Required<Omit<CpOptions, 'pds' | 'random'>>;

  constructor(private readonly options: CpOptions) {
    super();
    this.opts = {
      baud: options.baud ?? 115_200,
      pollIntervalMs: options.pollIntervalMs ?? 50,
      replyTimeoutMs: options.replyTimeoutMs ?? 200,
      retries: options.retries ?? 3,
      offlineAfterMs: options.offlineAfterMs ?? 8000,
      retryOfflineMs: options.retryOfflineMs ?? 5000,
    };
    for (const pd of options.pds) {
      if (!pd.scbk && !pd.install && !pd.allowPlaintext) {
        throw new RangeError(
          `PD ${pd.address}: a Secure Channel key (scbk) is required; plaintext must be allowed explicitly`,
        );
      }
    }
    this.links = options.pds.map((config) => ({
      config,
      state: 'reset',
      sequence: 0,
      lastValidAt: 0,
      lastPollAt: 0,
      stateSince: 0,
      queue: [],
      keyProvisioned: false,
    }));
  }

  /** Connects the panel to its bus. Incoming bytes are handled as they arrive. */
  attach(channel: Channel): void {
    this.channel = channel;
    channel.onData((bytes) => this.onBytes(bytes));
  }

  stateOf(address: number): LinkState | undefined {
    return this.links.find((l) => l.config.address === address)?.state;
  }

  /** Sends a command to an online PD; resolves with its reply. */
  send(address: number, command: Command): Promise<Reply> {
    const link = this.links.find((l) => l.config.address === address);
    if (!link) return Promise.reject(new RangeError(`no PD at address ${address}`));
    if (link.state !== 'online') return Promise.reject(new Error(`PD ${address} is ${link.state}`));
    return new Promise((resolve, reject) => link.queue.push({ command, resolve, reject }));
  }

  /** Advances timers and sends the next command when the bus is free. */
  refresh(now: number): void {
    this.now = now;
    if (this.current) {
      const { link, tx } = this.current;
      if (now - tx.sentAt < this.timeoutFor(tx.bytes.length)) return;
      if (now - link.lastValidAt > this.opts.offlineAfterMs && link.state === 'online') {
        this.fail(link, 'no valid reply within the off-line time');
      } else if (tx.attempts <= this.opts.retries) {
        // Same bytes, same sequence number: the PD resends its cached reply if it got ours.
        tx.attempts++;
        tx.sentAt = now;
        this.write(tx.bytes);
        return;
      } else {
        this.fail(link, 'no reply');
      }
      this.current = undefined;
    }
    for (let i = 0; i < this.links.length && !this.current; i++) {
      const link = this.links[(this.next + i) % this.links.length]!;
      const command = this.nextCommand(link, now);
      if (command) {
        this.next = (this.next + i + 1) % this.links.length;
        this.transmit(link, command.command, now, command.pending);
      }
    }
  }

  private timeoutFor(bytes: number): number {
    return this.opts.replyTimeoutMs + Math.ceil((bytes * 10 * 1000) / this.opts.baud);
  }

  private nextCommand(link: Link, now: number): { command: Command; pending?: Pending } | undefined {
    switch (link.state) {
      case 'offline':
        if (now - link.stateSince >= this.opts.retryOfflineMs) this.enterState(link, 'reset', now);
        return undefined;
      case 'reset':
        // ID is answered even by a PD that insists on Secure Channel; SQN 0 restarts its state.
        return { command: { code: CMD.ID } };
      case 'cap':
        return { command: { code: CMD.CAP } };
      case 'chlng': {
        const selector =
          link.config.install && !link.keyProvisioned ? KEY_SELECTOR_DEFAULT : KEY_SELECTOR_SCBK;
        const base =
          selector === KEY_SELECTOR_DEFAULT ? SCBK_D : (link.config.install?.newScbk ?? link.config.scbk)!;
        const rndA = this.options.random(8);
        link.handshake = { keys: deriveSessionKeys(base, rndA), rndA, selector };
        return { command: { code: CMD.CHLNG, rndA } };
      }
      case 'scrypt':
        return undefined; // sent straight from the CCRYPT handler
      case 'keyset':
        return { command: { code: CMD.KEYSET, keyType: 0x01, key: link.config.install!.newScbk } };
      case 'online': {
        const pending = link.queue.shift();
        if (pending) return { command: pending.command, pending };
        if (now - link.lastPollAt >= this.opts.pollIntervalMs) {
          link.lastPollAt = now;
          return { command: { code: CMD.POLL } };
        }
        return undefined;
      }
      default: {
        const never: never = link.state;
        return never;
      }
    }
  }

  private transmit(link: Link, command: Command, now: number, pending?: Pending): void {
    // SQN 0 starts a conversation; then 1, 2, 3, 1, …
    link.sequence = link.state === 'reset' ? 0 : (link.sequence % 3) + 1;
    const base = {
      address: link.config.address,
      reply: false,
      sequence: link.sequence,
      useCrc: true,
      code: command.code,
    };
    const data = encodeCommand(command);
    let bytes: Uint8Array;
    if (command.code === CMD.CHLNG || command.code === CMD.SCRYPT) {
      const type = command.code === CMD.CHLNG ? SCS.CHLNG : SCS.SCRYPT;
      bytes = buildPacket(
        { ...base, scb: { type, data: Uint8Array.of(link.handshake!.selector) }, data },
        { mark: true },
      );
    } else if (link.session) {
      bytes = link.session.sealCommand(base, data);
    } else {
      bytes = buildPacket({ ...base, data }, { mark: true });
    }
    const tx: Transaction = { bytes, command, sentAt: now, attempts: 1 };
    if (pending) tx.pending = pending;
    this.current = { link, tx };
    this.write(bytes);
  }

  private write(bytes: Uint8Array): void {
    this.channel?.send(bytes);
  }

  private onBytes(bytes: Uint8Array): void {
    for (const frame of this.decoder.push(bytes, this.now)) this.onFrame(frame);
  }

  private onFrame(frame: Uint8Array): void {
    const current = this.current;
    if (!current) return;
    let packet: ParsedPacket;
    try {
      packet = parsePacket(frame);
    } catch {
      return;
    }
    const { link, tx } = current;
    // Only a reply from the PD we addressed, with the sequence number we sent (or BUSY's 0), counts.
    if (!packet.reply || packet.address !== link.config.address) return;
    if (packet.sequence !== link.sequence && !(packet.code === REPLY.BUSY && packet.sequence === 0)) return;

    if (packet.code === REPLY.BUSY) {
      tx.sentAt = this.now; // ask again with the same bytes when the timeout passes
      return;
    }
    let data = packet.data;
    if (link.session && packet.code !== REPLY.NAK) {
      const opened = link.session.openReply(packet);
      if (!opened.ok) {
        this.emit('warning', link.config.address, `reply rejected: ${opened.why}`);
        this.current = undefined;
        this.fail(link, `secure channel broken (${opened.why})`);
        return;
      }
      data = opened.data;
    }
    const reply = decodeReply(packet.code, data);
    this.current = undefined;
    if (!reply) {
      this.fail(link, 'undecodable reply');
      return;
    }
    link.lastValidAt = this.now;
    this.onReply(link, tx, reply, packet);
  }

  private onReply(link: Link, tx: Transaction, reply: Reply, packet: ParsedPacket): void {
    const address = link.config.address;
    if (reply.code === REPLY.NAK) {
      tx.pending?.reject(new Error(`PD ${address} refused the command (NAK ${reply.error})`));
      if (reply.error === NAK.SEQUENCE || link.state !== 'online' || reply.error === NAK.SC_CONDITIONS) {
        this.fail(link, `NAK ${reply.error}`);
      }
      return;
    }
    switch (link.state) {
      case 'reset':
        if (reply.code === REPLY.PDID) link.id = reply;
        this.advance(link);
        return;
      case 'cap':
        if (reply.code === REPLY.PDCAP) link.capabilities = reply.capabilities;
        this.advance(link);
        return;
      case 'chlng':
        this.onClientCryptogram(link, reply, packet);
        return;
      case 'scrypt': {
        const handshake = link.handshake;
        link.handshake = undefined;
        if (
          reply.code !== REPLY.RMAC_I ||
          packet.scb?.type !== SCS.RMAC_I ||
          packet.scb.data[0] !== 0x01 ||
          !handshake
        ) {
          this.fail(link, 'server cryptogram refused by the PD');
          return;
        }
        // Checked here although the first MAC'd exchange would catch it: fail at the handshake.
        const expected = initialRmac(
          handshake.keys,
          serverCryptogram(handshake.keys, handshake.rndA, link.pendingRndB!),
        );
        if (!constantTimeEqual(expected, reply.rmac)) {
          this.fail(link, 'RMAC-I does not match');
          return;
        }
        link.session = new SecureSession(handshake.keys, reply.rmac);
        this.advance(link);
        return;
      }
      case 'keyset':
        if (reply.code !== REPLY.ACK) {
          this.fail(link, 'KEYSET not acknowledged');
          return;
        }
        link.keyProvisioned = true;
        link.config = { ...link.config, scbk: link.config.install!.newScbk };
        this.emit('keyset', address);
        this.advance(link);
        return;
      case 'online':
        this.onOnlineReply(link, tx, reply);
        return;
      case 'offline':
        return;
      default: {
        const never: never = link.state;
        throw new Error(`unhandled link state ${String(never)}`);
      }
    }
  }

  private onClientCryptogram(link: Link, reply: Reply, packet: ParsedPacket): void {
    const handshake = link.handshake;
    if (reply.code !== REPLY.CCRYPT || !handshake || packet.scb?.type !== SCS.CCRYPT) {
      this.fail(link, 'no client cryptogram');
      return;
    }
    // The PD must answer with the key we asked for (OSDP.Net #193): a mismatch is an attack or a fault.
    if (packet.scb.data[0] !== handshake.selector) {
      this.fail(link, 'key selector mismatch in CCRYPT');
      return;
    }
    if (!constantTimeEqual(clientCryptogram(handshake.keys, handshake.rndA, reply.rndB), reply.cryptogram)) {
      this.fail(link, 'client cryptogram does not match: wrong key or impostor PD');
      return;
    }
    link.pendingRndB = reply.rndB;
    this.enterState(link, 'scrypt', this.now);
    this.transmit(
      link,
      { code: CMD.SCRYPT, cryptogram: serverCryptogram(handshake.keys, handshake.rndA, reply.rndB) },
      this.now,
    );
  }

  private onOnlineReply(link: Link, tx: Transaction, reply: Reply): void {
    const address = link.config.address;
    const secure = link.session !== undefined;
    tx.pending?.resolve(reply);
    switch (reply.code) {
      case REPLY.RAW:
        this.emit('card', address, {
          reader: reply.reader,
          format: reply.format,
          bits: reply.bits,
          data: reply.data,
          secure,
        });
        break;
      case REPLY.KEYPAD:
        this.emit('keypad', address, { reader: reply.reader, keys: reply.keys, secure });
        break;
      case REPLY.LSTATR:
        this.emit('status', address, { tamper: reply.tamper, powerFailure: reply.powerFailure });
        break;
      default:
        break;
    }
    this.emit('reply', address, reply);
  }

  private advance(link: Link): void {
    this.enterState(link, NEXT_ON_SUCCESS[link.state](link), this.now);
  }

  private fail(link: Link, reason: string): void {
    this.emit('warning', link.config.address, reason);
    this.enterState(link, NEXT_ON_ERROR[link.state], this.now, reason);
  }

  /** Every side effect of entering a link state lives here. */
  private enterState(link: Link, state: LinkState, now: number, reason = ''): void {
    const was = link.state;
    link.state = state;
    link.stateSince = now;
    if (state === 'reset' || state === 'offline') {
      link.session = undefined;
      link.handshake = undefined;
    }
    if (state === 'online' && was !== 'online') {
      link.lastValidAt = now;
      this.emit('online', link.config.address, {
        ...(link.id && { id: link.id }),
        ...(link.capabilities && { capabilities: link.capabilities }),
        secure: link.session !== undefined,
      });
    }
    if (was === 'online' && state !== 'online') this.emit('offline', link.config.address, reason);
    if (state === 'offline' || state === 'reset') {
      for (const pending of link.queue.splice(0))
        pending.reject(new Error(`PD ${link.config.address} went ${state}`));
    }
  }
}
