// AuthenticateEV2First and EV2 secure messaging against the AN12196 vectors of osdp.md §8.2,
// byte-exact: the reader's APDUs, the card's answers (from the simulated card seeded with the vector
// randoms), SV1, both session keys, and an encrypted, MAC'd command APDU.
import { describe, expect, it } from 'vitest';
import { authenticateEv2First, deriveSession, sessionVector } from '../../src/cards/mutual-auth.ts';
import { secureCommandApdu, truncatedMac } from '../../src/cards/secure-messaging.ts';
import { SimulatedCard } from '../../src/sim/card.ts';
import { expectBytes, fromHex, hex, recording, scripted, scriptedRandom } from './support.ts';

const K = new Uint8Array(16);
const RND_B = fromHex('B9E2FC789B64BF237CCCAA20EC7E6E48');
const RND_A = fromHex('13C5DB8A5930439FC3DEF9A4C675360F');
const TI = fromHex('9D00C4DF');
const CARD_CHALLENGE = 'A04C124213C186F22399D33AC2A30215';
const PCD_PART2 = '35C3E05A752E0144BAC0DE51C1F22C56B34408A23D8AEA266CAB947EA8E0118D';
const CARD_PART2 = '3FA64DB5446D1F34CD6EA311167F5E4985B89690C04A05F17FA7AB2F08120663';
const UID = fromHex('04010203040506');

describe('AuthenticateEV2First, AN12196 vectors', () => {
  it('reader side: sends the exact APDUs and derives TI and both session keys', () => {
    const card = scripted(UID, [fromHex(`${CARD_CHALLENGE}91AF`), fromHex(`${CARD_PART2}9100`)]);
    const session = authenticateEv2First(card, 0, K, scriptedRandom(RND_A));
    expectBytes(card.sent[0]!, '9071000002000000', 'part 1 APDU (71 KeyNo 00 LenCap 00)');
    expectBytes(card.sent[1]!, `90AF000020${PCD_PART2}00`, 'part 2 APDU: E(K, RndA ‖ RndB⟲1)');
    expectBytes(session.ti, '9D00C4DF', 'TI');
    expectBytes(session.encKey, '1309C877509E5A215007FF0ED19CA564', 'SesAuthENCKey');
    expectBytes(session.macKey, '4C6626F5E72EA694202139295C7A7FC7', 'SesAuthMACKey');
    expect(session.cmdCtr).toBe(0);
  });

  it('card side: the simulated card, given the vector randoms, answers with the exact cryptograms', () => {
    const card = new SimulatedCard({ uid: UID, transportKey: K, random: scriptedRandom(RND_B, TI) });
    const link = recording(card);
    authenticateEv2First(link, 0, K, scriptedRandom(RND_A));
    expectBytes(link.log[0]!.response, `${CARD_CHALLENGE}91AF`, 'E(K, RndB)');
    expectBytes(link.log[1]!.command, `90AF000020${PCD_PART2}00`, 'reader part 2');
    expectBytes(
      link.log[1]!.response,
      `${CARD_PART2}9100`,
      'E(K, TI ‖ RndA⟲1 ‖ PDcap2 ‖ PCDcap2) with capabilities zero',
    );
  });

  it('builds SV1 as the note gives it', () => {
    expectBytes(
      sessionVector('enc', RND_A, RND_B),
      'A55A0001008013C56268A548D8FBBF237CCCAA20EC7E6E48C3DEF9A4C675360F',
      'SV1',
    );
    // SV2 is SV1 with the first two bytes swapped (the note gives no separate vector).
    expect(hex(sessionVector('mac', RND_A, RND_B))).toBe(
      '5AA50001008013C56268A548D8FBBF237CCCAA20EC7E6E48C3DEF9A4C675360F',
    );
  });
});

describe('EV2 secure messaging, AN12196 vectors', () => {
  it('encrypts and MACs ChangeFileSettings at CmdCtr 1 into the published APDU', () => {
    const session = deriveSession(K, 0, RND_A, RND_B, TI);
    session.cmdCtr = 1;
    const apdu = secureCommandApdu(session, {
      ins: 0x5f,
      header: Uint8Array.of(0x02),
      data: fromHex('4000E0C1F121200000430000430000'),
      mode: 'full',
      responseMode: 'mac',
    });
    expectBytes(apdu.subarray(6, 22), '61B6D97903566E84C3AE5274467E89EA', 'ciphertext');
    expectBytes(apdu.subarray(22, 30), 'D799B7C1A0EF7A04', 'MACt');
    expectBytes(apdu, '905F0000190261B6D97903566E84C3AE5274467E89EAD799B7C1A0EF7A0400', 'APDU');
  });

  it('truncates a CMAC to its odd-index bytes (AN12196 Table 8)', () => {
    expectBytes(
      truncatedMac(fromHex('8248134A386E86EB7FAF54A52E536CB6'), fromHex('F500007A21085E02')),
      '6597A457C8CD442C',
      'MACt',
    );
  });
});
