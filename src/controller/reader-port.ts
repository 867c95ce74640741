// What the door controller needs from a reader, whatever protocol drives it. The OSDP adapter
// (src/controller/drivers/osdp-reader.ts) implements it for real and simulated OSDP readers; tests
// may implement it with an in-process fake of the hardware.

/** A credential as read from a card: the secure credential number, never the card's UID. */
export interface CardRead {
  /** credential identifier, as held in the site's credentials (`card:ID`) */
  credentialId: string;
  /**
   * set when the read came from a legacy format that anyone on the wire can replay:
   * `wiegand-26`/`wiegand-34` (a Wiegand number), `uid` (a card's serial number, no authentication),
   * `osdp-plaintext` (a reader without Secure Channel)
   */
  insecure?: string;
}

export type LedColor = 'off' | 'red' | 'green' | 'amber' | 'blue';

export interface ReaderFeedback {
  /** steady colour for `ms`, then back to the reader's idle colour; `flash` blinks it */
  led(color: LedColor, ms: number, flash?: boolean): void;
  /** `count` beeps of `onMs` each */
  beep(count: number, onMs: number): void;
}

export interface ReaderPortEvents {
  card(read: CardRead): void;
  /** keys as typed: digits, `#` (enter) and `*` (clear) */
  keypad(keys: string): void;
  /** the reader's link went down or came back */
  online(online: boolean): void;
  tamper(active: boolean): void;
}

export interface ReaderPort extends ReaderFeedback {
  on<E extends keyof ReaderPortEvents>(event: E, listener: ReaderPortEvents[E]): void;
  /**
   * Asks a fingerprint reader to match the finger against the template it holds for the card just
   * read (on the card or in the reader); resolves with the match score 0 … 255, or undefined when no
   * finger was matched in time. Absent on readers without biometrics.
   */
  biometricMatch?(timeoutMs: number): Promise<number | undefined>;
}
