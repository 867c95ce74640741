// Logging in to the broker (issue 4 §2): a controller's MQTT username is its id and its password a
// fresh proof signed with its enrolled key, so the embedded broker can refuse anyone who is not an
// enrolled controller (or the server) and hold each controller to its own topics. Proofs expire and
// the broker accepts each one once (LoginProofChecker), so a captured one cannot be replayed; message
// signatures (envelope.ts) protect the content either way.

import { type KeyObject, sign, verify } from 'node:crypto';

export const LOGIN_PROOF_TTL_MS = 10 * 60_000;

function proofBytes(site: string, who: string, issuedAt: number): Buffer {
  return Buffer.from(`monban-mqtt-login\n${site}\n${who}\n${issuedAt}`);
}

export function loginProof(site: string, who: string, key: KeyObject, issuedAt: number): string {
  return `${issuedAt}.${sign(null, proofBytes(site, who, issuedAt), key).toString('base64url')}`;
}

export function checkLoginProof(
  site: string,
  who: string,
  proof: string,
  key: KeyObject,
  now: number,
): boolean {
  const dot = proof.indexOf('.');
  const issuedAt = Number(proof.slice(0, dot));
  if (dot < 1 || !Number.isSafeInteger(issuedAt) || Math.abs(now - issuedAt) > LOGIN_PROOF_TTL_MS)
    return false;
  const signature = Buffer.from(proof.slice(dot + 1), 'base64url');
  return signature.length === 64 && verify(null, proofBytes(site, who, issuedAt), key, signature);
}

/**
 * Checks login proofs and accepts each one once: a proof captured on the wire cannot be replayed
 * within its validity window. Proofs seen are remembered until they expire.
 */
export class LoginProofChecker {
  private readonly seen = new Map<string, number>();

  check(site: string, who: string, proof: string, key: KeyObject, now: number): boolean {
    for (const [seenProof, expires] of this.seen) if (expires <= now) this.seen.delete(seenProof);
    const id = `${who}\n${proof}`;
    if (this.seen.has(id)) return false;
    if (!checkLoginProof(site, who, proof, key, now)) return false;
    this.seen.set(id, now + 2 * LOGIN_PROOF_TTL_MS);
    return true;
  }
}

/** Topics a controller may publish to, and the one it may subscribe to. */
export function controllerTopics(site: string, controllerId: string): { publish: string; subscribe: string } {
  return {
    publish: `monban/${site}/controllers/${controllerId}/`,
    subscribe: `monban/${site}/server/commands/${controllerId}`,
  };
}
