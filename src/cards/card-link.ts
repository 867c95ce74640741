// How the reader side talks to a card: native command frames in, status + data out. A simulated card
// (sim/card.ts) implements it in memory; a real card would sit behind a contactless front end.

export interface CardLink {
  /** the UID from anticollision: sent in clear, never a credential */
  readonly uid: Uint8Array;
  /** sends [INS, ...data]; returns [status, ...data] */
  transceive(command: Uint8Array): Uint8Array;
}

export class CardError extends Error {
  constructor(
    readonly reason:
      | 'authentication_failed'
      | 'integrity_error'
      | 'bad_response'
      | 'not_a_credential'
      | 'refused',
    message: string,
  ) {
    super(message);
    this.name = 'CardError';
  }
}
