// The revocation fan-out: a credential that stops working — revoked, suspended, lost, deleted, or a
// PIN-only credential whose PIN changed — is revoked on every controller at once by a signed command
// naming it by its keyed hash (contracts/credential-key.ts), without waiting for the next snapshot.
// It subscribes to the domain events; the snapshots that follow make the change permanent.

import { credentialIdHash } from '../../contracts/credential-key.ts';
import type { DomainBus } from '../domain/bus.ts';
import type { CredentialKey } from '../domain/events.ts';
import type { ControllerCoordinator, SendOutcome } from './coordinator.ts';

export interface RevocationDeps {
  credentialKey: Uint8Array;
  coordinators: () => Iterable<ControllerCoordinator>;
}

export class RevocationFanout {
  constructor(private readonly deps: RevocationDeps) {}

  subscribe(bus: DomainBus): () => void {
    return bus.on(
      'revocation',
      ['credential.revoked', 'credential.deleted', 'credential.updated'],
      async (event) => {
        const key = event.type === 'credential.updated' ? event.replacedKey : event.key;
        if (key) await this.revokeCredential(key);
      },
    );
  }

  /** The keyed hash controllers know this credential by (a PIN-only credential's key is one already). */
  hashOf(key: CredentialKey): string {
    return key.type === 'pin'
      ? key.identifier
      : credentialIdHash(this.deps.credentialKey, key.type, key.identifier);
  }

  /** Sends the revocation to every controller; resolves with each one's outcome. */
  revokeCredential(key: CredentialKey): Promise<SendOutcome[]> {
    const command = { kind: 'command', command: 'revoke', credential: this.hashOf(key) } as const;
    return Promise.all([...this.deps.coordinators()].map((c) => c.send(command)));
  }
}
