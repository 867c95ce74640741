// An established Secure Channel session: the session keys and the MAC chain (osdp.md §6.3-6.5).
// Commands are MAC'd from the last R-MAC, replies from the command's C-MAC; data is encrypted with the
// bitwise NOT of the same value as IV. A failed MAC or padding check leaves the chain untouched.

import { constantTimeEqual } from './bytes.ts';
import { buildPacket, type Packet, type ParsedPacket } from './phy.ts';
import { computeMac, decryptData, encryptData, SCS, type SessionKeys } from './sc.ts';

export type OpenResult =
  | { ok: true; data: Uint8Array }
  | { ok: false; why: 'not_secure' | 'bad_mac' | 'bad_padding' };

type Base = Omit<Packet, 'scb' | 'mac' | 'data'>;

export class SecureSession {
  private rmac: Uint8Array<ArrayBufferLike>;
  private cmac: Uint8Array<ArrayBufferLike> = new Uint8Array(16);

  constructor(
    private readonly keys: SessionKeys,
    initialRmac: Uint8Array,
  ) {
    this.rmac = initialRmac.slice();
  }

  /** CP: a command sealed with the current R-MAC (SCS_17 with data, SCS_15 without). */
  sealCommand(base: Base, data: Uint8Array, mark = true): Uint8Array {
    return this.seal(
      base,
      data,
      this.rmac,
      data.length > 0 ? SCS.CMD_ENC : SCS.CMD_MAC,
      (mac) => {
        this.cmac = mac;
      },
      mark,
    );
  }

  /** PD: a reply sealed with the C-MAC of the command it answers. */
  sealReply(base: Base, data: Uint8Array, mark = false): Uint8Array {
    return this.seal(
      base,
      data,
      this.cmac,
      data.length > 0 ? SCS.REPLY_ENC : SCS.REPLY_MAC,
      (mac) => {
        this.rmac = mac;
      },
      mark,
    );
  }

  /** PD: checks a command's MAC and decrypts its data. */
  openCommand(packet: ParsedPacket): OpenResult {
    return this.open(packet, this.rmac, SCS.CMD_MAC, SCS.CMD_ENC, (mac) => {
      this.cmac = mac;
    });
  }

  /** CP: checks a reply's MAC and decrypts its data. */
  openReply(packet: ParsedPacket): OpenResult {
    return this.open(packet, this.cmac, SCS.REPLY_MAC, SCS.REPLY_ENC, (mac) => {
      this.rmac = mac;
    });
  }

  private seal(
    base: Base,
    plain: Uint8Array,
    chain: Uint8Array,
    type: number,
    keep: (mac: Uint8Array) => void,
    mark: boolean,
  ): Uint8Array {
    const data = plain.length > 0 ? encryptData(this.keys, chain, plain) : plain;
    let full: Uint8Array | undefined;
    const bytes = buildPacket(
      { ...base, useCrc: true, scb: { type, data: new Uint8Array() }, data },
      {
        mark,
        seal: (input) => {
          full = computeMac(this.keys, chain, input);
          return full;
        },
      },
    );
    keep(full!);
    return bytes;
  }

  private open(
    packet: ParsedPacket,
    chain: Uint8Array,
    macType: number,
    encType: number,
    keep: (mac: Uint8Array) => void,
  ): OpenResult {
    const type = packet.scb?.type;
    // Secure Channel requires CRC (osdp.md §2.2): a MAC'd packet with a checksum is not accepted.
    if ((type !== macType && type !== encType) || packet.mac === undefined || !packet.useCrc)
      return { ok: false, why: 'not_secure' };
    const full = computeMac(this.keys, chain, packet.macInput);
    if (!constantTimeEqual(full.subarray(0, 4), packet.mac)) return { ok: false, why: 'bad_mac' };
    let data = packet.data;
    if (type === encType) {
      const plain = decryptData(this.keys, chain, packet.data);
      if (plain === undefined) return { ok: false, why: 'bad_padding' };
      data = plain;
    } else if (data.length > 0) {
      // Plaintext data under a MAC-only block is not used by this stack (osdp.md §6.3): refuse it.
      return { ok: false, why: 'not_secure' };
    }
    keep(full);
    return { ok: true, data };
  }
}
