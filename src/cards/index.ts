// Secure card credentials: a standalone library (imports nothing else from Monban). See docs/cards.md.
//
//   readCredential(card, keys)            — what a door reader reports (never the UID)
//   encodeCard(card, keys, credential)    — enrollment of a factory-fresh card
//   parseWiegand(bits) / buildWiegand()   — legacy Wiegand, always flagged insecure

export { commandApdu, INS, parseResponseApdu, STATUS } from './apdu.ts';
export {
  APP_KEY_NO,
  type CardKeys,
  CREDENTIAL_FILE_NO,
  CREDENTIAL_FILE_RIGHTS,
  CREDENTIAL_FILE_SPEC,
  cardKey,
} from './card-layout.ts';
export { CardError, type CardErrorReason, type CardLink } from './card-link.ts';
export { cmac } from './cmac.ts';
export {
  type CardCredential,
  CREDENTIAL_FILE_SIZE,
  type CredentialDecodeError,
  type CredentialDecodeResult,
  decodeCredential,
  encodeCredential,
  validateCredential,
} from './credential.ts';
export { diversificationInput, diversifyKey } from './diversify.ts';
export { type EncodeOptions, type EncodeResult, encodeCard } from './encode-card.ts';
export { type AsyncCardLink, type CardExchange, runExchange, runExchangeAsync } from './exchange.ts';
export { ACCESS_FREE, ACCESS_NEVER, type AccessRights } from './file-settings.ts';
export { authenticateEv2First, type RandomSource } from './mutual-auth.ts';
export { readCredential, readCredentialAsync, readCredentialExchange } from './reader.ts';
export type { Ev2Session } from './secure-messaging.ts';
export {
  bitsFromBytes,
  buildWiegand,
  buildWiegandString,
  bytesFromBits,
  parseWiegand,
  WIEGAND_INSECURE_REASON,
  WIEGAND_LAYOUTS,
  type WiegandFormat,
  type WiegandInput,
  type WiegandResult,
} from './wiegand.ts';
