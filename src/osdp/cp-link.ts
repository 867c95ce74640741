// The control panel's view of one PD link: its state, and the state machine written as a table —
// the next state on success and on error — in the manner of libosdp. Timeouts ("lost": no valid
// reply within the off-line time) always lead to `offline`. The side effects of entering a state are
// in ControlPanel.enterState; which command a state sends is in ControlPanel.commandFor.
//
//   offline ──(retry pause over)──▶ id ─▶ cap ─▶ chlng ─▶ scrypt ─▶ online
//                                   ▲                      │
//                                   └──── keyset ◀─────────┘   (install mode: provision, then reconnect)
//   any error during bring-up ─▶ offline;  an error while online (MAC, NAK 4/5/6) ─▶ id (new session)

import type { Command } from './commands.ts';
import type { Capability, PdId, Reply } from './replies.ts';
import type { SessionKeys } from './sc.ts';
import type { SecureSession } from './secure-session.ts';

export type LinkState = 'offline' | 'id' | 'cap' | 'chlng' | 'scrypt' | 'keyset' | 'online';

export interface PdConfig {
  /** 0x00 … 0x7E */
  address: number;
  /** the PD's Secure Channel base key (never SCBK-D) */
  scbk?: Uint8Array;
  /**
   * Provisioning: open one session with the default key SCBK-D, install `newScbk` with KEYSET, then
   * reconnect with it. Only for an operator-initiated install; never a fallback.
   */
  install?: {
    newScbk: Uint8Array;
    /**
     * A KEYSET with this key may already have reached the PD (the application stopped before the
     * acknowledgement): bring-up tries this key as well as SCBK-D until one opens a session.
     */
    maybeInstalled?: boolean;
  };
  /** run without Secure Channel (legacy readers): every event then says `secure: false` */
  allowPlaintext?: boolean;
}

export interface Pending {
  command: Command;
  resolve: (reply: Reply) => void;
  reject: (error: Error) => void;
  /** runs after the PD acknowledged the command (KEYSET, COMSET switch the link afterwards) */
  afterAck?: (reply: Reply) => void;
}

export interface Transaction {
  bytes: Uint8Array;
  command: Command;
  sequence: number;
  sentAt: number;
  /** when to send the same bytes again if no reply came */
  resendAt: number;
  attempts: number;
  pending?: Pending;
}

export interface Link {
  config: PdConfig;
  state: LinkState;
  stateSince: number;
  /** the next command starts a conversation (SQN 0) */
  restart: boolean;
  sequence: number;
  useCrc: boolean;
  session?: SecureSession;
  handshake?: { keys: SessionKeys; rndA: Uint8Array; rndB?: Uint8Array; selector: number };
  /** the application has been told this PD is online and not yet that it is offline */
  reportedOnline: boolean;
  lastValidAt: number;
  lastPollAt: number;
  queue: Pending[];
  id?: PdId;
  capabilities?: Capability[];
  /** largest packet the PD accepts (PDCAP function 10), 128 until it says otherwise */
  rxSize: number;
  installDone: boolean;
  /**
   * A key sent by KEYSET whose acknowledgement has not arrived. If the PD committed it but the ACK
   * was lost, the old key no longer works; bring-up then alternates between the two (`inUse`) until
   * one opens a session. Never SCBK-D: this is not the default-key fallback the brief forbids.
   */
  keyCandidate?: { key: Uint8Array; inUse: boolean };
}

/** Whether this link runs Secure Channel at all. */
export const wantsSecure = (link: Link): boolean =>
  !(link.config.allowPlaintext && !link.config.scbk && !link.config.install);

/** Whether the next session must use SCBK-D to provision a key. */
export const provisioning = (link: Link): boolean =>
  link.config.install !== undefined && !link.installDone && !link.keyCandidate?.inUse;

export const TRANSITIONS: Record<LinkState, { ok: (link: Link) => LinkState; error: LinkState }> = {
  offline: { ok: () => 'id', error: 'offline' },
  id: { ok: () => 'cap', error: 'offline' },
  cap: { ok: (link) => (wantsSecure(link) ? 'chlng' : 'online'), error: 'offline' },
  chlng: { ok: () => 'scrypt', error: 'offline' },
  scrypt: { ok: (link) => (provisioning(link) ? 'keyset' : 'online'), error: 'offline' },
  keyset: { ok: () => 'id', error: 'offline' },
  online: { ok: () => 'online', error: 'id' },
};
