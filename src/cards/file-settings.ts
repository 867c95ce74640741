// DESFire file settings: communication mode and access rights, in the byte layout the card uses.
// Access rights are four 4-bit key numbers: 0x0–0xD a key of the application, 0xE free (no
// authentication), 0xF never.

import type { CommMode } from './secure-messaging.ts';

export const ACCESS_FREE = 0xe;
export const ACCESS_NEVER = 0xf;

export interface AccessRights {
  read: number;
  write: number;
  readWrite: number;
  change: number;
}

export type FileCommMode = 'plain' | CommMode;

const COMM_MODE_BITS: Record<FileCommMode, number> = { plain: 0x00, mac: 0x01, full: 0x03 };

/** Two bytes, as sent: (ReadWrite << 4 | Change), then (Read << 4 | Write). */
export function encodeAccessRights(rights: AccessRights): Uint8Array {
  for (const n of [rights.read, rights.write, rights.readWrite, rights.change])
    if (!Number.isInteger(n) || n < 0 || n > 0xf) throw new RangeError('an access right is 0x0 to 0xF');
  return Uint8Array.of((rights.readWrite << 4) | rights.change, (rights.read << 4) | rights.write);
}

export function decodeAccessRights(bytes: Uint8Array): AccessRights {
  return {
    readWrite: bytes[0]! >>> 4,
    change: bytes[0]! & 0xf,
    read: bytes[1]! >>> 4,
    write: bytes[1]! & 0xf,
  };
}

export function encodeCommMode(mode: FileCommMode): number {
  return COMM_MODE_BITS[mode];
}

export function decodeCommMode(option: number): FileCommMode | undefined {
  switch (option & 0x03) {
    case 0x00:
      return 'plain';
    case 0x01:
      return 'mac';
    case 0x03:
      return 'full';
    default:
      return undefined;
  }
}

/** True when the right demands authentication (a key number rather than free or never). */
export function requiresKey(right: number): boolean {
  return right <= 0xd;
}
