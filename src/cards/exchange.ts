// A card conversation written once and run over any transport. The protocol steps (select,
// authenticate, read) are generators that yield each command APDU and receive the card's response;
// `runExchange` drives them over a synchronous CardLink (a simulated card, a PC/SC reader on this
// machine), `runExchangeAsync` over an asynchronous one (a card behind an OSDP reader in transparent
// mode, osdp_XWR/osdp_XRD). The cryptography is the same code either way.

import type { CardLink } from './card-link.ts';

/** Yields command APDUs, receives response APDUs, returns the result. */
export type CardExchange<T> = Generator<Uint8Array, T, Uint8Array>;

/** A card reached through something that answers later (a reader on a bus). */
export interface AsyncCardLink {
  /** the UID seen during anticollision: diversification input only, never a credential */
  readonly uid: Uint8Array;
  transceive(apdu: Uint8Array): Promise<Uint8Array>;
}

export function runExchange<T>(link: CardLink, exchange: CardExchange<T>): T {
  let step = exchange.next();
  while (!step.done) step = exchange.next(link.transceive(step.value));
  return step.value;
}

export async function runExchangeAsync<T>(link: AsyncCardLink, exchange: CardExchange<T>): Promise<T> {
  let step = exchange.next();
  while (!step.done) {
    let response: Uint8Array;
    try {
      response = await link.transceive(step.value);
    } catch (error) {
      // Runs the exchange's `finally` blocks (they wipe keys and randoms) before giving up.
      exchange.return(undefined as never);
      throw error;
    }
    step = exchange.next(response);
  }
  return step.value;
}
