// Secure card credentials end to end, against the simulated card: a factory card is encoded, then
// read with its diversified key after mutual authentication. The reader reports the credential and
// never the UID; a clone with the same UID but no key, a wrong master key, a replay, or a response
// with any bit flipped yields nothing.
import { describe, expect, it } from 'vitest';
import { commandApdu, INS } from '../../src/cards/apdu.ts';
import { CREDENTIAL_FILE_NO, cardKey } from '../../src/cards/card-layout.ts';
import { CardError, type CardLink } from '../../src/cards/card-link.ts';
import { getFileSettings, readData, selectApplication } from '../../src/cards/desfire-commands.ts';
import { encodeCard } from '../../src/cards/encode-card.ts';
import { ACCESS_NEVER } from '../../src/cards/file-settings.ts';
import { type CardKeys, readCredential } from '../../src/cards/index.ts';
import { authenticateEv2First } from '../../src/cards/mutual-auth.ts';
import { SimulatedCard } from '../../src/sim/card.ts';
import { hex, recording, seededRandom, tamperingAt } from './support.ts';

const keys: CardKeys = {
  masterKey: Uint8Array.from({ length: 16 }, (_, i) => 0x30 + i * 7),
  aid: Uint8Array.of(0x01, 0x4d, 0xf5),
  systemId: Uint8Array.of(0x4d, 0x42, 0x00, 0x07),
};
const credential = { systemId: 7, id: 'C-1001', issue: 1 };
const random = seededRandom(11);

function encodedCard(seed = 21) {
  const card = new SimulatedCard({ random: seededRandom(seed) });
  const result = encodeCard(card, keys, credential, random);
  return { card, result };
}

/** Every secret that must never show up in a result or an error message. */
function secretsOf(card: CardLink): string[] {
  return [hex(keys.masterKey), hex(cardKey(keys, card.uid)), 'C-1001'].map((s) => s.toLowerCase());
}

function captureError(action: () => unknown): CardError {
  try {
    action();
  } catch (error) {
    if (error instanceof CardError) return error;
    throw error;
  }
  throw new Error('expected a CardError');
}

describe('encoding a card', () => {
  it('turns a factory card into a credential and reports no key material', () => {
    const { card, result } = encodedCard();
    expect(card.factoryState).toBe(false);
    expect(result).toEqual({ credentialId: 'C-1001', systemId: 7, issue: 1, keyVersion: 1, fileNo: 1 });
    const text = JSON.stringify(result).toLowerCase();
    for (const secret of secretsOf(card).slice(0, 2)) expect(text).not.toContain(secret);
    expect(text).not.toContain(hex(card.uid).toLowerCase());
  });

  it('creates the credential file with rights that demand the card key and full secure messaging', () => {
    const { card } = encodedCard();
    selectApplication(card, keys.aid);
    const session = authenticateEv2First(card, 0, cardKey(keys, card.uid), random);
    expect(getFileSettings(card, session, CREDENTIAL_FILE_NO)).toEqual({
      fileNo: 1,
      commMode: 'full',
      rights: { read: 0, write: 0, readWrite: 0, change: ACCESS_NEVER },
      size: 32,
    });
  });

  it('never sends the credential or the new key in clear', () => {
    const card = recording(new SimulatedCard({ random: seededRandom(3) }));
    encodeCard(card, keys, credential, random);
    const traffic = card.log.map((e) => hex(e.command) + hex(e.response)).join('');
    expect(traffic).not.toContain(hex(cardKey(keys, card.uid)));
    expect(traffic).not.toContain(hex(new TextEncoder().encode('C-1001')));
  });

  it('refuses a card that is already encoded, or whose transport key differs', () => {
    const { card } = encodedCard();
    expect(captureError(() => encodeCard(card, keys, credential, random)).status).toBe(0xde);
    const locked = new SimulatedCard({
      transportKey: new Uint8Array(16).fill(0x5a),
      random: seededRandom(4),
    });
    expect(captureError(() => encodeCard(locked, keys, credential, random)).reason).toBe(
      'authentication_failed',
    );
    expect(locked.factoryState).toBe(true);
  });

  it('accepts a non-default transport key when given', () => {
    const transportKey = new Uint8Array(16).fill(0x5a);
    const card = new SimulatedCard({ transportKey, random: seededRandom(4) });
    expect(encodeCard(card, keys, credential, random, { transportKey, keyVersion: 3 }).keyVersion).toBe(3);
    expect(readCredential(card, keys, random).id).toBe('C-1001');
  });

  it('validates the credential before touching the card', () => {
    const card = new SimulatedCard({ random: seededRandom(5) });
    expect(() => encodeCard(card, keys, { ...credential, id: 'no spaces allowed' }, random)).toThrow(
      RangeError,
    );
    expect(card.factoryState).toBe(true);
  });
});

describe('reading a card', () => {
  it('reports the credential from the protected file, never the UID', () => {
    const { card } = encodedCard();
    const read = readCredential(card, keys, random);
    expect(read).toEqual(credential);
    expect(JSON.stringify(read).toLowerCase()).not.toContain(hex(card.uid).toLowerCase());
  });

  it('reads the same card many times: fresh randoms each time, no state left behind', () => {
    const { card } = encodedCard();
    for (let i = 0; i < 20; i++) expect(readCredential(card, keys, random).id).toBe('C-1001');
  });

  it('gives nothing to a clone that copies the UID but has no key', () => {
    const { card } = encodedCard();
    // The best a cloner can do without the key: a card with the same UID, encoded under another master key.
    const clone = new SimulatedCard({ uid: card.uid, random: seededRandom(5) });
    encodeCard(clone, { ...keys, masterKey: new Uint8Array(16).fill(1) }, credential, random);
    expect(captureError(() => readCredential(clone, keys, random)).reason).toBe('authentication_failed');
    // A blank card with the same UID does not even have the application.
    const blank = new SimulatedCard({ uid: card.uid, random: seededRandom(6) });
    expect(captureError(() => readCredential(blank, keys, random)).reason).toBe('refused');
  });

  it('fails with a wrong master key or another installation’s system id', () => {
    const { card } = encodedCard();
    for (const wrong of [
      { ...keys, masterKey: keys.masterKey.map((b) => b ^ 0x80) },
      { ...keys, systemId: Uint8Array.of(1) },
    ]) {
      const error = captureError(() => readCredential(card, wrong, random));
      expect(error.reason).toBe('authentication_failed');
    }
    expect(readCredential(card, keys, random).id).toBe('C-1001');
  });

  it('refuses to read the credential file without authentication', () => {
    const { card } = encodedCard();
    selectApplication(card, keys.aid);
    const read = card.transceive(commandApdu(INS.READ_DATA, Uint8Array.of(1, 0, 0, 0, 32, 0, 0)));
    expect(hex(read)).toBe('919D');
  });

  it('rejects a bit flip anywhere in the card’s authentication cryptograms or read response', () => {
    const { card } = encodedCard();
    // Exchanges of a read: 0 select, 1 auth part 1, 2 auth part 2, 3 ReadData.
    const lengths = recording(card);
    readCredential(lengths, keys, random);
    for (const exchange of [1, 2, 3]) {
      const responseLength = lengths.log[exchange]!.response.length;
      // Every byte of the cryptogram / ciphertext / MAC (the status word is the last two bytes).
      for (let byte = 0; byte < responseLength - 2; byte++) {
        const bit = byte % 8;
        const error = captureError(() =>
          readCredential(tamperingAt(card, exchange, byte, bit), keys, random),
        );
        expect(['authentication_failed', 'integrity_error', 'bad_response', 'refused']).toContain(
          error.reason,
        );
      }
    }
    expect(readCredential(card, keys, random).id).toBe('C-1001');
  });

  it('flags MAC and ciphertext tampering in the read response as an integrity error', () => {
    const { card } = encodedCard();
    for (const byte of [0, 20, 47, 48, 55]) {
      expect(captureError(() => readCredential(tamperingAt(card, 3, byte), keys, random)).reason).toBe(
        'integrity_error',
      );
    }
  });

  it('rejects replays in both directions', () => {
    const { card } = encodedCard();
    const recorded = recording(card);
    readCredential(recorded, keys, random);
    // Replaying the reader's recorded commands to the card: it has picked a new RndB, so part 2 fails.
    const answers = recorded.log.map((e) => card.transceive(e.command));
    expect(hex(answers[2]!)).toBe('91AE');
    // The replayed ReadData finds no session: a bare error status, no data.
    expect(answers[3]!.length).toBe(2);
    expect(answers[3]![1]).not.toBe(0x00);
    // Replaying the card's recorded answers to a reader (an emulator): the reader's RndA is new.
    let i = 0;
    const emulator: CardLink = { uid: card.uid, transceive: () => recorded.log[i++]!.response };
    expect(captureError(() => readCredential(emulator, keys, random)).reason).toBe('authentication_failed');
  });

  it('rejects a replayed secure command within a session (command counter)', () => {
    const { card } = encodedCard();
    const link = recording(card);
    selectApplication(link, keys.aid);
    const session = authenticateEv2First(link, 0, cardKey(keys, card.uid), random);
    readData(link, session, CREDENTIAL_FILE_NO, 32);
    expect(hex(card.transceive(link.log.at(-1)!.command))).toBe('911E');
  });

  it('keeps key material and the credential out of every error message', () => {
    const { card } = encodedCard();
    const errors = [
      captureError(() => readCredential(card, { ...keys, masterKey: new Uint8Array(16).fill(7) }, random)),
      captureError(() => readCredential(tamperingAt(card, 3, 5), keys, random)),
      captureError(() => readCredential(tamperingAt(card, 2, 5), keys, random)),
      captureError(() => encodeCard(card, keys, credential, random)),
    ];
    for (const error of errors) {
      const text = `${error.message} ${error.stack ?? ''}`.toLowerCase();
      for (const secret of [...secretsOf(card), hex(card.uid).toLowerCase()])
        expect(text).not.toContain(secret);
    }
  });
});
