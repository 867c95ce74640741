// The control panel's half of bring-up, as pure checks: what PDCAP means for the link, the
// challenge it sends, and the verification of CCRYPT and RMAC-I (osdp.md §6.2). Each check returns
// the reason for refusing, or nothing; ControlPanel turns that into the next state.

import { constantTimeEqual } from './bytes.ts';
import { CAP, CMD, REPLY } from './codes.ts';
import type { Command } from './commands.ts';
import { type Link, provisioning, wantsSecure } from './cp-link.ts';
import type { ParsedPacket } from './phy.ts';
import type { Capability, Reply } from './replies.ts';
import {
  clientCryptogram,
  deriveSessionKeys,
  initialRmac,
  KEY_SELECTOR_DEFAULT,
  KEY_SELECTOR_SCBK,
  SCBK_D,
  SCS,
  serverCryptogram,
} from './sc.ts';
import { SecureSession } from './secure-session.ts';

/** Records what the PD can do; refuses a PD that cannot run the Secure Channel the link needs. */
export function applyCapabilities(link: Link, capabilities: Capability[]): string | undefined {
  link.capabilities = capabilities;
  const cap = (fn: number) => capabilities.find((c) => c.function === fn);
  const rx = cap(CAP.RECEIVE_BUFFER);
  // A PD must accept 128 bytes whatever it says (osdp.md §1).
  link.rxSize = rx ? Math.max(128, rx.compliance | (rx.items << 8)) : 128;
  const crc = (cap(CAP.CHECK_CHARACTER)?.compliance ?? 0) === 1;
  if (wantsSecure(link)) {
    if (!crc) return 'PD lacks CRC-16, which Secure Channel requires';
    const sc = cap(CAP.COMMUNICATION_SECURITY);
    if (!sc || (sc.compliance & 0x01) === 0) return 'PD does not support Secure Channel';
  }
  // A plaintext-only legacy PD without CRC is spoken to with checksums (all PDs support them).
  link.useCrc = crc || wantsSecure(link);
  return undefined;
}

/**
 * Starts a handshake: SCBK-D with selector 00 only while provisioning (install mode), the PD's own
 * key with selector 01 otherwise — never a fallback to SCBK-D. A key just sent by KEYSET is tried in
 * turn with the current one while its acknowledgement is missing (see Link.keyCandidate).
 */
export function challenge(link: Link, random: (n: number) => Uint8Array): Command {
  const candidate = link.keyCandidate?.inUse ? link.keyCandidate.key : undefined;
  const install = provisioning(link);
  const selector = install ? KEY_SELECTOR_DEFAULT : KEY_SELECTOR_SCBK;
  const base = candidate ?? (install ? SCBK_D : link.config.scbk!);
  const rndA = random(8);
  link.handshake = { keys: deriveSessionKeys(base, rndA), rndA, selector };
  return { code: CMD.CHLNG, rndA };
}

/** The PD's proof (CCRYPT): right key selector, right client cryptogram. */
export function checkClientCryptogram(link: Link, reply: Reply, packet: ParsedPacket): string | undefined {
  const handshake = link.handshake;
  if (reply.code !== REPLY.CCRYPT || !handshake || packet.scb?.type !== SCS.CCRYPT)
    return 'no client cryptogram';
  // The PD must answer with the key we asked for (OSDP.Net #193): a mismatch is an attack or a fault.
  if (packet.scb.data.length !== 1 || packet.scb.data[0] !== handshake.selector)
    return 'key selector mismatch in CCRYPT';
  if (!constantTimeEqual(clientCryptogram(handshake.keys, handshake.rndA, reply.rndB), reply.cryptogram))
    return 'client cryptogram does not match: wrong key or impostor PD';
  handshake.rndB = reply.rndB;
  return undefined;
}

/** The CP's proof for SCRYPT, from the handshake CCRYPT completed. */
export function serverProof(link: Link): Command {
  const h = link.handshake!;
  return { code: CMD.SCRYPT, cryptogram: serverCryptogram(h.keys, h.rndA, h.rndB!) };
}

/** RMAC-I: the PD accepted our cryptogram and proves the session keys; the session starts. */
export function checkInitialRmac(link: Link, reply: Reply, packet: ParsedPacket): string | undefined {
  const handshake = link.handshake;
  link.handshake = undefined;
  if (reply.code !== REPLY.RMAC_I || packet.scb?.type !== SCS.RMAC_I || !handshake?.rndB) return 'no RMAC-I';
  if (packet.scb.data.length !== 1 || packet.scb.data[0] !== 0x01)
    return 'server cryptogram refused by the PD';
  // Checked although the first MAC'd exchange would catch it (osdp.md §9.8): fail at the handshake.
  const server = serverCryptogram(handshake.keys, handshake.rndA, handshake.rndB);
  if (!constantTimeEqual(initialRmac(handshake.keys, server), reply.rmac)) return 'RMAC-I does not match';
  link.session = new SecureSession(handshake.keys, reply.rmac);
  return undefined;
}
