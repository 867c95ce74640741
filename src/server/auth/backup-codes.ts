// One-time backup codes: ten codes of 50 random bits each, shown once, stored as keyed hashes, each
// consumed by exactly one login (storage marks it used with a conditional update).

import { randomInt } from 'node:crypto';
import type { SecretBox } from './secrets.ts';

const ALPHABET = 'abcdefghijkmnpqrstuvwxyz23456789'; // 32 symbols, no l/1/0/o confusion
export const BACKUP_CODE_COUNT = 10;

export function newBackupCodes(): string[] {
  return Array.from({ length: BACKUP_CODE_COUNT }, () => {
    const chars = Array.from({ length: 10 }, () => ALPHABET[randomInt(ALPHABET.length)]).join('');
    return `${chars.slice(0, 5)}-${chars.slice(5)}`;
  });
}

export function normalizeBackupCode(code: string): string {
  return code.toLowerCase().replace(/[\s-]/g, '');
}

export function backupCodeHash(box: SecretBox, operatorId: string, code: string): string {
  return box.mac(`backup-code:${operatorId}`, normalizeBackupCode(code));
}
