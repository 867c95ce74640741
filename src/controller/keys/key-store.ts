// The controller's secrets for its doors: each reader's OSDP Secure Channel key and the card master
// key. They are kept in one file (`keys.json` in the data directory), encrypted with AES-256-GCM
// under a key-encryption key (KEK) that is never stored: it is derived each start from
//   - the controller's identity private key (identity.json, owner-only), and
//   - when configured, a passphrase from the environment or a file outside the data directory (a
//     systemd credential, a TPM-sealed secret), stretched with scrypt.
// So a copy of keys.json alone (a backup, a file leak) reveals nothing; with a passphrase, neither
// does a copy of the whole data directory. docs/controllers.md ("Keys") says what protects what.
//
// Callers never see the card master key: `cardKey(uid)` returns one card's diversified key (AN10922),
// which is what a SAM or HSM does too, so one can sit behind the same interface later. No method
// logs or returns key material in an error, and the store has no string form.

import {
  createCipheriv,
  createDecipheriv,
  hkdfSync,
  type KeyObject,
  randomBytes,
  scryptSync,
} from 'node:crypto';
import { chmodSync, existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { diversificationInput, diversifyKey } from '../../cards/diversify.ts';

/** What the door drivers need from wherever the keys are kept (this file, or later a SAM/HSM). */
export interface DoorKeys {
  /** the reader's Secure Channel base key, if it has one */
  readerKey(reader: string): Uint8Array | undefined;
  /** a key sent to a reader by KEYSET but not yet confirmed (kept so a crash cannot lose it) */
  pendingReaderKey(reader: string): Uint8Array | undefined;
  /** stores a key about to be installed; `confirmReaderKey` makes it the reader's key */
  setPendingReaderKey(reader: string, key: Uint8Array): void;
  confirmReaderKey(reader: string, key: Uint8Array): void;
  /** whether a card master key is held */
  readonly hasCardKey: boolean;
  /** one card's key, AN10922(master key, UID ‖ AID ‖ system id); the master key never leaves */
  cardKey(uid: Uint8Array, aid: Uint8Array, systemId: Uint8Array): Uint8Array;
}

export const KEY_STORE_FILE = 'keys.json';

export class KeyStoreError extends Error {
  override name = 'KeyStoreError';
}

const fileSchema = z.strictObject({
  version: z.literal(1),
  /** scrypt salt when a passphrase is part of the KEK; absent: identity key only */
  passphraseSalt: z.string().optional(),
  salt: z.string(),
  iv: z.string(),
  tag: z.string(),
  data: z.string(),
});

const contentSchema = z.strictObject({
  readers: z.record(z.string(), z.string()),
  pending: z.record(z.string(), z.string()),
  cardMasterKey: z.string().optional(),
});
type Content = z.infer<typeof contentSchema>;

const b64 = (bytes: Uint8Array) => Buffer.from(bytes).toString('base64');
const unb64 = (text: string) => new Uint8Array(Buffer.from(text, 'base64'));
const SCRYPT = { N: 1 << 15, r: 8, p: 1, maxmem: 64 * 1024 * 1024 };

export interface KeyStoreOptions {
  dataDir: string;
  /** the controller's Ed25519 private key (identity.json) */
  identityKey: KeyObject;
  controllerId: string;
  /** the configured passphrase, if any */
  passphrase?: string;
}

/** The keys on disk, encrypted at rest. */
export class FileKeyStore implements DoorKeys {
  private readonly path: string;
  private content: Content;
  private passphraseSalt: Uint8Array | undefined;

  private constructor(
    private readonly options: KeyStoreOptions,
    content: Content,
    passphraseSalt: Uint8Array | undefined,
  ) {
    this.path = join(options.dataDir, KEY_STORE_FILE);
    this.content = content;
    this.passphraseSalt = passphraseSalt;
  }

  /** Opens the store, or starts an empty one (written on the first change). */
  static open(options: KeyStoreOptions): FileKeyStore {
    const path = join(options.dataDir, KEY_STORE_FILE);
    if (!existsSync(path)) {
      const salt = options.passphrase !== undefined ? new Uint8Array(randomBytes(16)) : undefined;
      return new FileKeyStore(options, { readers: {}, pending: {} }, salt);
    }
    let file: z.infer<typeof fileSchema>;
    try {
      file = fileSchema.parse(JSON.parse(readFileSync(path, 'utf8')));
    } catch {
      throw new KeyStoreError(`${path} is damaged`);
    }
    if (file.passphraseSalt !== undefined && options.passphrase === undefined)
      throw new KeyStoreError(`${path} is protected by a passphrase: configure keyStore.passphrase`);
    if (file.passphraseSalt === undefined && options.passphrase !== undefined)
      throw new KeyStoreError(
        `${path} was written without a passphrase: remove keyStore.passphrase, or re-create the store with one (monban controller keys protect)`,
      );
    const passphraseSalt = file.passphraseSalt !== undefined ? unb64(file.passphraseSalt) : undefined;
    const kek = deriveKek(options, unb64(file.salt), passphraseSalt);
    let plain: Buffer;
    try {
      const decipher = createDecipheriv('aes-256-gcm', kek, unb64(file.iv));
      decipher.setAAD(aad(options.controllerId));
      decipher.setAuthTag(unb64(file.tag));
      plain = Buffer.concat([decipher.update(unb64(file.data)), decipher.final()]);
    } catch {
      throw new KeyStoreError(
        `${path} cannot be opened: wrong passphrase, another controller's identity, or the file was changed`,
      );
    } finally {
      kek.fill(0);
    }
    const content = contentSchema.parse(JSON.parse(plain.toString('utf8')));
    plain.fill(0);
    return new FileKeyStore(options, content, passphraseSalt);
  }

  readerKey(reader: string): Uint8Array | undefined {
    const key = this.content.readers[reader];
    return key === undefined ? undefined : unb64(key);
  }

  pendingReaderKey(reader: string): Uint8Array | undefined {
    const key = this.content.pending[reader];
    return key === undefined ? undefined : unb64(key);
  }

  setPendingReaderKey(reader: string, key: Uint8Array): void {
    checkKey(key);
    this.content.pending[reader] = b64(key);
    this.save();
  }

  confirmReaderKey(reader: string, key: Uint8Array): void {
    checkKey(key);
    this.content.readers[reader] = b64(key);
    delete this.content.pending[reader];
    this.save();
  }

  /** Forgets a reader's key (a replaced reader must be installed again). */
  forgetReader(reader: string): boolean {
    const had = reader in this.content.readers || reader in this.content.pending;
    delete this.content.readers[reader];
    delete this.content.pending[reader];
    if (had) this.save();
    return had;
  }

  /** Reader ids with a key, for `monban controller keys list` (never the keys). */
  get readers(): string[] {
    return Object.keys(this.content.readers).sort();
  }

  get hasCardKey(): boolean {
    return this.content.cardMasterKey !== undefined;
  }

  setCardMasterKey(key: Uint8Array): void {
    checkKey(key);
    this.content.cardMasterKey = b64(key);
    this.save();
  }

  cardKey(uid: Uint8Array, aid: Uint8Array, systemId: Uint8Array): Uint8Array {
    const master = this.content.cardMasterKey;
    if (master === undefined) throw new KeyStoreError('no card master key in the key store');
    const key = unb64(master);
    try {
      return diversifyKey(key, diversificationInput(uid, aid, systemId));
    } finally {
      key.fill(0);
    }
  }

  /** Re-encrypts the store with another passphrase (or none). */
  protect(passphrase: string | undefined): void {
    (this.options as { passphrase?: string }).passphrase = passphrase;
    this.passphraseSalt = passphrase !== undefined ? new Uint8Array(randomBytes(16)) : undefined;
    this.save();
  }

  private save(): void {
    const salt = new Uint8Array(randomBytes(16));
    const kek = deriveKek(this.options, salt, this.passphraseSalt);
    const iv = randomBytes(12);
    const plain = Buffer.from(JSON.stringify(this.content), 'utf8');
    try {
      const cipher = createCipheriv('aes-256-gcm', kek, iv);
      cipher.setAAD(aad(this.options.controllerId));
      const data = Buffer.concat([cipher.update(plain), cipher.final()]);
      const file = {
        version: 1,
        ...(this.passphraseSalt && { passphraseSalt: b64(this.passphraseSalt) }),
        salt: b64(salt),
        iv: b64(iv),
        tag: b64(cipher.getAuthTag()),
        data: b64(data),
      };
      const tmp = `${this.path}.tmp`;
      writeFileSync(tmp, `${JSON.stringify(file)}\n`, { mode: 0o600, flush: true });
      chmodSync(tmp, 0o600);
      renameSync(tmp, this.path);
    } finally {
      kek.fill(0);
      plain.fill(0);
    }
  }
}

function checkKey(key: Uint8Array): void {
  if (key.length !== 16) throw new KeyStoreError('an AES-128 key is 16 bytes');
}

const aad = (controllerId: string) => Buffer.from(`monban/controller-keys/v1/${controllerId}`, 'utf8');

/** KEK = HKDF-SHA256(identity private key ‖ scrypt(passphrase), salt): never written anywhere. */
function deriveKek(
  options: KeyStoreOptions,
  salt: Uint8Array,
  passphraseSalt: Uint8Array | undefined,
): Buffer {
  const identity = options.identityKey.export({ format: 'der', type: 'pkcs8' });
  const parts = [identity];
  if (passphraseSalt !== undefined) {
    if (options.passphrase === undefined) throw new KeyStoreError('the key store needs its passphrase');
    parts.push(scryptSync(options.passphrase.normalize('NFC'), passphraseSalt, 32, SCRYPT));
  }
  const ikm = Buffer.concat(parts);
  try {
    return Buffer.from(hkdfSync('sha256', ikm, salt, 'monban/controller-keystore-kek/v1', 32));
  } finally {
    ikm.fill(0);
    for (const part of parts) part.fill(0);
  }
}

/**
 * Reads the pass phrase from its configured source, an environment variable (env:NAME) or the first
 * line of a file (file:PATH). A source that is configured but empty or missing is an error: the
 * controller must not quietly run with weaker protection.
 */
export function readPassphrase(
  source: string | undefined,
  env: NodeJS.ProcessEnv = process.env,
): string | undefined {
  if (source === undefined) return undefined;
  if (source.startsWith('env:')) {
    const name = source.slice(4);
    const value = env[name];
    if (value === undefined || value === '')
      throw new KeyStoreError(`keyStore.passphrase: the environment variable ${name} is not set`);
    return value;
  }
  const path = source.slice(5);
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch {
    throw new KeyStoreError(`keyStore.passphrase: ${path} cannot be read`);
  }
  const value = text.split('\n')[0]!.trim();
  if (value === '') throw new KeyStoreError(`keyStore.passphrase: ${path} is empty`);
  return value;
}
