// How the reader side talks to a card: one ISO 7816-4 APDU out, one response APDU back. The
// simulated card (src/sim/card.ts) implements it in memory; a real DESFire card behind a PC/SC or
// NFC front end takes the very same bytes, so it can replace the simulation without code changes.

export interface CardLink {
  /**
   * The UID seen during ISO 14443 anticollision. It is sent in clear to any reader, so it is used
   * only as diversification input (to pick the card's key), never as a credential.
   */
  readonly uid: Uint8Array;
  /** Sends a command APDU and returns the response APDU (data ‖ SW1 SW2). */
  transceive(apdu: Uint8Array): Uint8Array;
}

export type CardErrorReason =
  /** the card or the reader could not prove knowledge of the key (wrong key, clone, replay) */
  | 'authentication_failed'
  /** a MAC, cryptogram or padding check failed: the response was altered or forged */
  | 'integrity_error'
  /** the response was not shaped as the protocol requires */
  | 'bad_response'
  /** the authenticated file holds no valid Monban credential record */
  | 'not_a_credential'
  /** the card answered with an error status */
  | 'refused';

/**
 * Every failure of a card operation. Messages name the step and the card status only: never a key,
 * a random, a cryptogram or a credential value (R-SEC-4).
 */
export class CardError extends Error {
  constructor(
    readonly reason: CardErrorReason,
    message: string,
    /** the DESFire status byte, when the card returned one */
    readonly status?: number,
  ) {
    super(message);
    this.name = 'CardError';
  }
}
