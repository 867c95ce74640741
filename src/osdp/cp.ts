// The OSDP control panel: drives the PDs on one channel, one command at a time (the bus is
// half-duplex, strictly poll/response). Each PD link follows the table in cp-link.ts; everything
// that happens on entering a state is in `enterState`, and what each state sends is in `commandFor`.
//
// Time is passed in: the application calls `refresh(now)` regularly (or uses cp-driver.ts). There
// are no timers in here; a reply is handled as soon as its bytes arrive on the channel.

import { EventEmitter } from 'node:events';
import type { Channel } from './channel.ts';
import { CMD, KEY_TYPE_SCBK, NAK, REPLY } from './codes.ts';
import {
  type BuzzerRecord,
  type Command,
  encodeCommand,
  type LedRecord,
  type OutputRecord,
} from './commands.ts';
import {
  applyCapabilities,
  challenge,
  checkClientCryptogram,
  checkInitialRmac,
  serverProof,
} from './cp-handshake.ts';
import {
  type Link,
  type LinkState,
  type PdConfig,
  type Pending,
  TRANSITIONS,
  type Transaction,
} from './cp-link.ts';
import { buildPacket, FrameDecoder, type ParsedPacket, packetLength, parsePacket } from './phy.ts';
import { type Capability, decodeReply, type PdId, type Reply } from './replies.ts';
import { checkBaseKey, SCS } from './sc.ts';

export type { LinkState, PdConfig } from './cp-link.ts';

export interface CpOptions {
  pds: PdConfig[];
  /** cryptographic randomness for RND.A */
  random: (bytes: number) => Uint8Array;
  /** a clock for timestamps of incoming bytes; defaults to the time of the last refresh() */
  clock?: () => number;
  /** line speed, for reply timeouts that include the command's wire time */
  baud?: number;
  /** how often an idle online PD is polled (libosdp: 50 ms) */
  pollIntervalMs?: number;
  /** spec: the PD replies within 200 ms (plus the command's time on the wire) */
  replyTimeoutMs?: number;
  /** resends of an unanswered command during bring-up before giving up (online: until offlineAfterMs) */
  retries?: number;
  /** after osdp_BUSY, ask again this much later */
  busyRetryMs?: number;
  /** no valid reply for this long: the PD is offline (spec: 8 s) */
  offlineAfterMs?: number;
  /** pause before trying an offline PD again */
  retryOfflineMs?: number;
  /** send the 0xFF mark byte before each packet (v2.2); default true */
  mark?: boolean;
}

export interface CpEvents {
  online: [address: number, info: { id?: PdId; capabilities?: Capability[]; secure: boolean }];
  offline: [address: number, reason: string];
  card: [
    address: number,
    card: { reader: number; format: number; bits: number; data: Uint8Array; secure: boolean },
  ];
  formattedCard: [
    address: number,
    card: { reader: number; direction: number; text: string; secure: boolean },
  ];
  keypad: [address: number, keypad: { reader: number; keys: string; secure: boolean }];
  status: [address: number, status: { tamper: boolean; powerFailure: boolean }];
  /** every reply from an online PD, including the ones above */
  reply: [address: number, reply: Reply];
  /** a new SCBK was installed on the PD (install mode or key rotation): persist it */
  keyset: [address: number];
  /** the PD accepted COMSET: it now answers at `address` and `baud` (change the line speed) */
  comset: [oldAddress: number, settings: { address: number; baud: number }];
  /** a rejected frame, handshake or command: the reason, never key material or card data */
  warning: [address: number, reason: string];
}

/** Commands the link state machine sends itself; the application may not inject them. */
const LINK_COMMANDS = new Set<number>([CMD.CHLNG, CMD.SCRYPT, CMD.KEYSET, CMD.COMSET]);

export class ControlPanel extends EventEmitter<CpEvents> {
  private readonly links: Link[];
  private readonly decoder = new FrameDecoder();
  private channel: Channel | undefined;
  private current: { link: Link; tx: Transaction } | undefined;
  private next = 0;
  private now = 0;
  private readonly opts: Required<Omit<CpOptions, 'pds' | 'random' | 'clock'>>;

  constructor(private readonly options: CpOptions) {
    super();
    this.opts = {
      baud: options.baud ?? 115_200,
      pollIntervalMs: options.pollIntervalMs ?? 50,
      replyTimeoutMs: options.replyTimeoutMs ?? 200,
      retries: options.retries ?? 3,
      busyRetryMs: options.busyRetryMs ?? 200,
      offlineAfterMs: options.offlineAfterMs ?? 8000,
      retryOfflineMs: options.retryOfflineMs ?? 5000,
      mark: options.mark ?? true,
    };
    const seen = new Set<number>();
    this.links = options.pds.map((pd) => {
      if (!Number.isInteger(pd.address) || pd.address < 0 || pd.address > 0x7e || seen.has(pd.address))
        throw new RangeError(`PD address ${pd.address}: must be unique and in 0x00 … 0x7E`);
      seen.add(pd.address);
      if (!pd.scbk && !pd.install && !pd.allowPlaintext)
        throw new RangeError(
          `PD ${pd.address}: a Secure Channel key (scbk) is required; plaintext must be allowed explicitly`,
        );
      const config: PdConfig = { ...pd };
      if (pd.scbk) config.scbk = checkBaseKey(pd.scbk, `PD ${pd.address} key`);
      if (pd.install)
        config.install = { newScbk: checkBaseKey(pd.install.newScbk, `PD ${pd.address} new key`) };
      const keyCandidate =
        pd.install?.maybeInstalled === true
          ? { key: config.install!.newScbk.slice(), inUse: false }
          : undefined;
      // Starts offline with the retry pause already over: the first refresh() begins the bring-up.
      return {
        config,
        state: 'offline',
        stateSince: Number.NEGATIVE_INFINITY,
        restart: true,
        sequence: 0,
        useCrc: true,
        reportedOnline: false,
        lastValidAt: 0,
        lastPollAt: Number.NEGATIVE_INFINITY,
        queue: [],
        rxSize: 128,
        installDone: false,
        ...(keyCandidate && { keyCandidate }),
      } satisfies Link;
    });
  }

  /** Connects the panel to its bus. Incoming bytes are handled as they arrive. */
  attach(channel: Channel): void {
    this.channel = channel;
    channel.onData((bytes) => this.onBytes(bytes));
  }

  stateOf(address: number): LinkState | undefined {
    return this.linkAt(address)?.state;
  }

  /** Whether the PD is online with an active Secure Channel. */
  isSecure(address: number): boolean {
    const link = this.linkAt(address);
    return link?.state === 'online' && link.session !== undefined;
  }

  /**
   * Sends a command to an online PD; resolves with its reply (rejects on NAK or when the PD goes
   * offline). While the link renews its session the command waits in the queue.
   */
  send(address: number, command: Command): Promise<Reply> {
    if (LINK_COMMANDS.has(command.code))
      return Promise.reject(new Error('CHLNG, SCRYPT, KEYSET and COMSET are sent by the link itself'));
    return this.enqueue(address, { command });
  }

  led(address: number, leds: LedRecord[]): Promise<Reply> {
    return this.send(address, { code: CMD.LED, leds });
  }

  buzzer(address: number, buzzers: BuzzerRecord[]): Promise<Reply> {
    return this.send(address, { code: CMD.BUZ, buzzers });
  }

  output(address: number, outputs: OutputRecord[]): Promise<Reply> {
    return this.send(address, { code: CMD.OUT, outputs });
  }

  text(address: number, text: Omit<Extract<Command, { code: typeof CMD.TEXT }>, 'code'>): Promise<Reply> {
    return this.send(address, { code: CMD.TEXT, ...text });
  }

  /**
   * Changes the PD's address and baud rate. After its COM reply the link restarts at the new
   * address; the application changes the channel's speed on the `comset` event.
   */
  comset(address: number, newAddress: number, baud: number): Promise<Reply> {
    if (newAddress !== address && this.linkAt(newAddress))
      return Promise.reject(new RangeError(`address ${newAddress} is taken by another PD`));
    const command: Command = { code: CMD.COMSET, address: newAddress, baud };
    return this.enqueue(address, {
      command,
      afterAck: (reply) => {
        const link = this.linkAt(address);
        if (!link || reply.code !== REPLY.COM) return;
        link.config = { ...link.config, address: reply.address };
        this.emit('comset', address, { address: reply.address, baud: reply.baud });
        // The PD forgets its sequence and session when it switches: start again from SQN 0.
        this.enterState(link, 'id', 'address or speed changed');
      },
    });
  }

  /**
   * Installs a new SCBK on an online PD inside the Secure Channel, then reconnects with it. The
   * `keyset` event says when the application must persist the new key.
   */
  keyset(address: number, key: Uint8Array): Promise<Reply> {
    let scbk: Uint8Array;
    try {
      scbk = checkBaseKey(key, 'the new key');
    } catch (error) {
      return Promise.reject(error);
    }
    const link = this.linkAt(address);
    if (link && !link.session)
      return Promise.reject(new Error(`PD ${address}: KEYSET needs a Secure Channel`));
    return this.enqueue(address, {
      command: { code: CMD.KEYSET, keyType: KEY_TYPE_SCBK, key: scbk },
      afterAck: (reply) => {
        const l = this.linkAt(address);
        if (!l || reply.code !== REPLY.ACK) return;
        this.adoptKey(l, scbk);
        this.enterState(l, 'id', 'new key installed');
      },
    });
  }

  /** Advances timers and sends the next command when the bus is free. */
  refresh(now: number): void {
    this.now = now;
    if (this.current) this.checkTimeout(now);
    if (!this.current) this.sendNext(now);
  }

  private linkAt(address: number): Link | undefined {
    return this.links.find((l) => l.config.address === address);
  }

  private enqueue(address: number, item: Omit<Pending, 'resolve' | 'reject'>): Promise<Reply> {
    const link = this.linkAt(address);
    if (!link) return Promise.reject(new RangeError(`no PD at address ${address}`));
    if (!link.reportedOnline) return Promise.reject(new Error(`PD ${address} is ${link.state}`));
    try {
      // Encode now so that a bad field fails at the caller, not later inside the link.
      const size = packetLength(
        { data: encodeCommand(item.command), scb: { type: 0, data: new Uint8Array() }, useCrc: true },
        true,
      );
      if (size + 16 > link.rxSize)
        throw new RangeError(`command too long for PD ${address}'s receive buffer`);
    } catch (error) {
      return Promise.reject(error);
    }
    return new Promise((resolve, reject) => link.queue.push({ ...item, resolve, reject }));
  }

  private checkTimeout(now: number): void {
    const { link, tx } = this.current!;
    if (now < tx.resendAt) return;
    if (now - link.lastValidAt >= this.opts.offlineAfterMs) {
      this.abandon(tx, 'no reply');
      this.enterState(link, 'offline', 'no valid reply within the off-line time');
      return;
    }
    if (link.state !== 'online' && tx.attempts > this.opts.retries) {
      this.abandon(tx, 'no reply');
      this.fail(link, 'no reply');
      return;
    }
    // Same bytes, same sequence number: if the PD got the command, it resends its cached reply.
    tx.attempts++;
    tx.sentAt = now;
    tx.resendAt = now + this.timeoutFor(tx.bytes.length);
    this.write(tx.bytes);
  }

  private sendNext(now: number): void {
    for (let i = 0; i < this.links.length && !this.current; i++) {
      const index = (this.next + i) % this.links.length;
      const link = this.links[index]!;
      const item = this.commandFor(link, now);
      if (item) {
        this.next = (index + 1) % this.links.length;
        this.transmit(link, item.command, now, item.pending);
      }
    }
  }

  private timeoutFor(bytes: number): number {
    return this.opts.replyTimeoutMs + Math.ceil((bytes * 10 * 1000) / this.opts.baud);
  }

  /** The command a link in its current state sends next, if any is due. */
  private commandFor(link: Link, now: number): { command: Command; pending?: Pending } | undefined {
    switch (link.state) {
      case 'offline':
        if (now - link.stateSince < this.opts.retryOfflineMs) return undefined;
        this.advance(link);
        return this.commandFor(link, now);
      case 'id':
        // Answered even by a PD that insists on Secure Channel; SQN 0 restarts its state.
        return { command: { code: CMD.ID } };
      case 'cap':
        return { command: { code: CMD.CAP } };
      case 'chlng':
        return { command: challenge(link, this.options.random) };
      case 'scrypt':
        return { command: serverProof(link) };
      case 'keyset':
        return { command: { code: CMD.KEYSET, keyType: KEY_TYPE_SCBK, key: link.config.install!.newScbk } };
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
    // SQN 0 starts a conversation; then 1, 2, 3, 1, … (osdp.md §3).
    link.sequence = link.restart ? 0 : (link.sequence % 3) + 1;
    link.restart = false;
    const base = {
      address: link.config.address,
      reply: false,
      sequence: link.sequence,
      useCrc: link.useCrc,
      code: command.code,
    };
    const data = encodeCommand(command);
    const mark = this.opts.mark;
    // From here on the PD may hold this key even if its ACK never reaches us.
    if (command.code === CMD.KEYSET) link.keyCandidate = { key: command.key.slice(), inUse: false };
    let bytes: Uint8Array;
    if (command.code === CMD.CHLNG || command.code === CMD.SCRYPT) {
      const type = command.code === CMD.CHLNG ? SCS.CHLNG : SCS.SCRYPT;
      const scb = { type, data: Uint8Array.of(link.handshake!.selector) };
      bytes = buildPacket({ ...base, useCrc: true, scb, data }, { mark });
    } else if (link.session) {
      bytes = link.session.sealCommand(base, data, mark);
    } else {
      bytes = buildPacket({ ...base, data }, { mark });
    }
    const tx: Transaction = {
      bytes,
      command,
      sequence: link.sequence,
      sentAt: now,
      resendAt: now + this.timeoutFor(bytes.length),
      attempts: 1,
    };
    if (pending) tx.pending = pending;
    this.current = { link, tx };
    this.write(bytes);
  }

  /** Ends the transaction in flight without a reply; its caller, if any, is told why. */
  private abandon(tx: Transaction, reason: string): void {
    this.current = undefined;
    tx.pending?.reject(new Error(`PD command failed: ${reason}`));
  }

  private write(bytes: Uint8Array): void {
    this.channel?.send(bytes);
  }

  private onBytes(bytes: Uint8Array): void {
    const at = this.options.clock?.() ?? this.now;
    for (const frame of this.decoder.push(bytes, at)) this.onFrame(frame, at);
  }

  private onFrame(frame: Uint8Array, now: number): void {
    const current = this.current;
    if (!current) return;
    let packet: ParsedPacket;
    try {
      packet = parsePacket(frame);
    } catch {
      return;
    }
    const { link, tx } = current;
    // Only a reply (bit 7) from the PD we addressed, with the sequence number we sent (or BUSY's 0).
    if (!packet.reply || packet.address !== link.config.address) return;
    const busy = packet.code === REPLY.BUSY && packet.data.length === 0 && packet.scb === undefined;
    if (packet.sequence !== tx.sequence && !(busy && packet.sequence === 0)) return;

    if (busy) {
      // Not a valid reply (it does not keep the PD online); ask again with the same bytes later.
      tx.resendAt = now + this.opts.busyRetryMs;
      return;
    }
    let data = packet.data;
    const inClear = packet.code === REPLY.NAK && packet.scb === undefined;
    if (link.session && !inClear) {
      const opened = link.session.openReply(packet);
      if (!opened.ok) {
        // Noise cannot get here (the CRC caught it): a bad MAC is tampering or a lost session.
        this.abandon(tx, 'reply rejected');
        this.fail(link, `reply rejected: ${opened.why}`);
        this.sendNext(now);
        return;
      }
      data = opened.data;
    }
    const reply = decodeReply(packet.code, data);
    if (!reply) {
      this.abandon(tx, 'undecodable reply');
      this.fail(link, 'undecodable reply');
      this.sendNext(now);
      return;
    }
    this.current = undefined;
    link.lastValidAt = now;
    this.onReply(link, tx, reply, packet);
    if (!this.current) this.sendNext(now);
  }

  private onReply(link: Link, tx: Transaction, reply: Reply, packet: ParsedPacket): void {
    if (reply.code === REPLY.NAK) {
      this.onNak(link, tx, reply.error);
      return;
    }
    switch (link.state) {
      case 'id':
        if (reply.code !== REPLY.PDID) {
          this.fail(link, 'no PDID in reply to osdp_ID');
          return;
        }
        if (link.id && !sameId(link.id, reply))
          this.emit('warning', link.config.address, 'PD identity changed since last seen');
        link.id = reply;
        this.advance(link);
        return;
      case 'cap':
        if (reply.code !== REPLY.PDCAP) {
          this.fail(link, 'no PDCAP in reply to osdp_CAP');
          return;
        }
        this.check(link, applyCapabilities(link, reply.capabilities));
        return;
      case 'chlng':
        this.check(link, checkClientCryptogram(link, reply, packet));
        return;
      case 'scrypt':
        this.check(link, checkInitialRmac(link, reply, packet));
        return;
      case 'keyset':
        if (reply.code !== REPLY.ACK) {
          this.fail(link, 'KEYSET not acknowledged');
          return;
        }
        link.installDone = true;
        this.adoptKey(link, link.config.install!.newScbk);
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

  private onNak(link: Link, tx: Transaction, error: number): void {
    tx.pending?.reject(new Error(`PD ${link.config.address} refused the command (NAK ${error})`));
    if (tx.command.code === CMD.KEYSET) link.keyCandidate = undefined;
    // Sequence and security NAKs mean the PD's state and ours have parted: start a new session.
    // Other NAKs (unknown command, bad record…) refuse that one command only.
    const linkBroken = error === NAK.SEQUENCE || error === NAK.SC_UNSUPPORTED || error === NAK.SC_CONDITIONS;
    if (link.state !== 'online' || linkBroken) this.fail(link, `NAK ${error}`);
  }

  private onOnlineReply(link: Link, tx: Transaction, reply: Reply): void {
    const address = link.config.address;
    const secure = link.session !== undefined;
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
      case REPLY.FMT:
        this.emit('formattedCard', address, {
          reader: reply.reader,
          direction: reply.direction,
          text: reply.text,
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
    tx.pending?.resolve(reply);
    tx.pending?.afterAck?.(reply);
  }

  private adoptKey(link: Link, scbk: Uint8Array): void {
    link.keyCandidate = undefined;
    link.config = { ...link.config, scbk };
    this.emit('keyset', link.config.address);
  }

  /** A bring-up check passed (no reason) or failed (the reason). */
  private check(link: Link, refusal: string | undefined): void {
    if (refusal === undefined) this.advance(link);
    else this.fail(link, refusal);
  }

  private advance(link: Link): void {
    this.enterState(link, TRANSITIONS[link.state].ok(link));
  }

  private fail(link: Link, reason: string): void {
    this.emit('warning', link.config.address, reason);
    // A handshake refused while a KEYSET is unconfirmed: the next attempt uses the other key.
    if (link.state === 'chlng' && link.keyCandidate) link.keyCandidate.inUse = !link.keyCandidate.inUse;
    this.enterState(link, TRANSITIONS[link.state].error, reason);
  }

  /** Every side effect of entering a link state lives here. */
  private enterState(link: Link, state: LinkState, reason = ''): void {
    const now = this.now;
    link.state = state;
    link.stateSince = now;
    switch (state) {
      case 'offline':
        link.session = undefined;
        link.handshake = undefined;
        link.restart = true;
        if (link.reportedOnline) {
          link.reportedOnline = false;
          this.emit('offline', link.config.address, reason);
        }
        for (const pending of link.queue.splice(0))
          pending.reject(new Error(`PD ${link.config.address} went offline`));
        break;
      case 'id':
        // A new conversation: SQN 0 makes the PD drop its session and cached reply too.
        link.session = undefined;
        link.handshake = undefined;
        link.restart = true;
        link.useCrc = true;
        // Bring-up gets its own off-line window, so a PD that is back is not judged on old silence.
        if (!link.reportedOnline) link.lastValidAt = now;
        break;
      case 'cap':
      case 'chlng':
      case 'scrypt':
      case 'keyset':
        break;
      case 'online':
        link.lastPollAt = Number.NEGATIVE_INFINITY;
        if (link.keyCandidate?.inUse) {
          // The PD had taken the new key after all: it is the key from now on.
          if (link.config.install) link.installDone = true;
          this.adoptKey(link, link.keyCandidate.key);
        }
        // A session with the old key proves the PD never took the new one.
        link.keyCandidate = undefined;
        if (!link.reportedOnline) {
          link.reportedOnline = true;
          this.emit('online', link.config.address, {
            ...(link.id && { id: link.id }),
            ...(link.capabilities && { capabilities: link.capabilities }),
            secure: link.session !== undefined,
          });
        }
        break;
      default: {
        const never: never = state;
        throw new Error(`unhandled link state ${String(never)}`);
      }
    }
  }
}

function sameId(a: PdId, b: PdId): boolean {
  return a.serial === b.serial && a.model === b.model && a.vendor.every((v, i) => v === b.vendor[i]);
}
