// The controller's key store: reader and card keys encrypted at rest under a key-encryption key
// derived from the identity key (and a passphrase when configured), never written down; a copy of the
// file alone, another controller's identity, a wrong passphrase or a changed byte opens nothing; the
// card master key never leaves it (only diversified card keys do); no key appears in the file.
import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { cardKey } from '../../src/cards/card-layout.ts';
import {
  FileKeyStore,
  KEY_STORE_FILE,
  KeyStoreError,
  readPassphrase,
} from '../../src/controller/keys/key-store.ts';

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});
const fresh = () => {
  const dir = mkdtempSync(join(tmpdir(), 'monban-keys-'));
  dirs.push(dir);
  return dir;
};
const identityKey = generateKeyPairSync('ed25519').privateKey;
const readerKey = Uint8Array.from({ length: 16 }, (_, i) => 0xa0 + i);
const master = Uint8Array.from({ length: 16 }, (_, i) => 0x10 + i);
const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');

describe('controller key store', () => {
  it('keeps reader keys and the card master key encrypted; reopens them with the same identity', () => {
    const dataDir = fresh();
    const store = FileKeyStore.open({ dataDir, identityKey, controllerId: 'ctl-1' });
    store.setPendingReaderKey('R1', readerKey);
    expect(store.pendingReaderKey('R1')).toEqual(readerKey);
    store.confirmReaderKey('R1', readerKey);
    store.setCardMasterKey(master);
    const file = readFileSync(join(dataDir, KEY_STORE_FILE), 'utf8');
    for (const secret of [readerKey, master]) {
      expect(file).not.toContain(hex(secret));
      expect(file).not.toContain(Buffer.from(secret).toString('base64'));
    }
    expect(statSync(join(dataDir, KEY_STORE_FILE)).mode & 0o777).toBe(0o600);
    const again = FileKeyStore.open({ dataDir, identityKey, controllerId: 'ctl-1' });
    expect(again.readerKey('R1')).toEqual(readerKey);
    expect(again.pendingReaderKey('R1')).toBeUndefined();
    expect(again.readers).toEqual(['R1']);
    // Only a card's diversified key comes out, the same one the card was encoded with.
    const keys = { masterKey: master, aid: Uint8Array.of(1, 2, 3), systemId: Uint8Array.of(9) };
    const uid = Uint8Array.of(4, 1, 2, 3, 4, 5, 6);
    expect(again.cardKey(uid, keys.aid, keys.systemId)).toEqual(cardKey(keys, uid));
    expect(again.forgetReader('R1')).toBe(true);
    expect(
      FileKeyStore.open({ dataDir, identityKey, controllerId: 'ctl-1' }).readerKey('R1'),
    ).toBeUndefined();
  });

  it('opens nothing with another identity, a changed file or a missing or wrong passphrase', () => {
    const dataDir = fresh();
    const store = FileKeyStore.open({
      dataDir,
      identityKey,
      controllerId: 'ctl-1',
      passphrase: 'correct horse',
    });
    store.confirmReaderKey('R1', readerKey);
    const open =
      (options: { passphrase?: string; identity?: typeof identityKey; controllerId?: string }) => () =>
        FileKeyStore.open({
          dataDir,
          identityKey: options.identity ?? identityKey,
          controllerId: options.controllerId ?? 'ctl-1',
          ...(options.passphrase !== undefined && { passphrase: options.passphrase }),
        });
    expect(open({ passphrase: 'correct horse' })().readerKey('R1')).toEqual(readerKey);
    expect(open({})).toThrow(/protected by a passphrase/);
    expect(open({ passphrase: 'wrong' })).toThrow(/wrong passphrase/);
    expect(
      open({ passphrase: 'correct horse', identity: generateKeyPairSync('ed25519').privateKey }),
    ).toThrow(KeyStoreError);
    expect(open({ passphrase: 'correct horse', controllerId: 'ctl-2' })).toThrow(KeyStoreError);
    const path = join(dataDir, KEY_STORE_FILE);
    const file = JSON.parse(readFileSync(path, 'utf8'));
    const data = Buffer.from(file.data, 'base64');
    data[0]! ^= 1;
    writeFileSync(path, JSON.stringify({ ...file, data: data.toString('base64') }));
    expect(open({ passphrase: 'correct horse' })).toThrow(/was changed/);
  });

  it('reads the passphrase from the environment or a file, and refuses an empty one', () => {
    expect(readPassphrase('env:PASS', { PASS: 'secret' })).toBe('secret');
    expect(() => readPassphrase('env:PASS', {})).toThrow(/PASS is not set/);
    const dir = fresh();
    writeFileSync(join(dir, 'pass'), 'from-a-file\n');
    expect(readPassphrase(`file:${join(dir, 'pass')}`)).toBe('from-a-file');
    writeFileSync(join(dir, 'empty'), '\n');
    expect(() => readPassphrase(`file:${join(dir, 'empty')}`)).toThrow(/is empty/);
    expect(readPassphrase(undefined)).toBeUndefined();
  });

  it('says nothing secret in its errors', () => {
    const store = FileKeyStore.open({ dataDir: fresh(), identityKey, controllerId: 'ctl-1' });
    expect(() => store.cardKey(Uint8Array.of(1), Uint8Array.of(1, 2, 3), Uint8Array.of(9))).toThrow(
      'no card master key in the key store',
    );
    expect(() => store.confirmReaderKey('R1', Uint8Array.of(1, 2, 3))).toThrow('an AES-128 key is 16 bytes');
  });
});
