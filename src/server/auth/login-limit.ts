// The per-address limit on sign-in attempts. Every password or second-factor attempt costs an argon2
// hash or a lockout count, so it is limited per source address, whatever the username, before any
// work is done: setup, login and its second factors, and the current password of a password change
// (guessing it is guessing the login) share one count; a single sign-on start or callback (a round
// trip to the provider) has one of its own. One instance per server, part of the security services
// (plugin.ts createSecurityServices, called by the composition root), so every route that signs in
// counts against the same numbers. A row whose endpoint says `loginLimit` counts before anything else
// is done (an onRequest hook of the route table); the password change counts once the session is
// known, and single sign-on in its handlers, so that a refused callback still lands on the sign-in
// page.

import { SlidingLimit } from '../alarms/detectors.ts';
import { ApiError } from '../http/errors.ts';
import type { Clock, SecuritySettings } from './context.ts';

/** Which count an attempt goes to. */
export type SignInAttempt = 'password' | 'sso';

export class LoginRateLimit {
  readonly #counts: Record<SignInAttempt, SlidingLimit>;

  constructor(
    private readonly limit: SecuritySettings['loginRateLimit'],
    private readonly clock: Clock,
  ) {
    this.#counts = {
      password: new SlidingLimit(limit.perAddress, limit.windowMs),
      sso: new SlidingLimit(limit.perAddress, limit.windowMs),
    };
  }

  /** Counts one attempt from this address; throws RATE_LIMITED (429, Retry-After) over the limit. */
  attempt(kind: SignInAttempt, address: string, message = 'too many login attempts from this address'): void {
    if (this.#counts[kind].allow(address, this.clock.now())) return;
    throw new ApiError('RATE_LIMITED', `${message}; wait a minute`, {
      retryAfterSeconds: Math.ceil(this.limit.windowMs / 1000),
    });
  }
}
