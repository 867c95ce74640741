// The revocation fan-out: what stops working is stopped on the controllers at once by signed
// commands, without waiting for the next snapshot. It subscribes to the domain events:
// - a credential revoked, suspended, lost, deleted, or a PIN-only credential whose PIN changed: a
//   `revoke` naming it by its keyed hash (contracts/credential-key.ts), to every controller;
// - a person who left (or is suspended) or was deleted: a `revoke-person` to every controller whose
//   snapshot holds them;
// - a person who lost group memberships or levels, a group that no longer grants a level, a level
//   that no longer opens a door: a `revoke-person` to each controller that holds the person and
//   where none of their doors is left. Where they keep other doors of that controller, the
//   snapshot that follows (rebuilt at once) takes the lost doors away.
// A revocation by command holds at the controller until a snapshot issued after it says otherwise,
// so a reinstated card or person works again with the next snapshot.

import { credentialIdHash } from '../../contracts/credential-key.ts';
import type { DomainBus } from '../domain/bus.ts';
import type { CredentialKey, DomainEvent } from '../domain/events.ts';
import type { PeopleStore } from '../storage/people.ts';
import type { ControllerCoordinator, SendOutcome } from './coordinator.ts';

export interface RevocationDeps {
  credentialKey: Uint8Array;
  coordinators: () => Iterable<ControllerCoordinator>;
  people: PeopleStore;
}

export class RevocationFanout {
  constructor(private readonly deps: RevocationDeps) {}

  subscribe(bus: DomainBus): () => void {
    return bus.subscribe('revocation', async (batch) => {
      // People who lost access somewhere: checked together, once per batch (a CSV import).
      const lostSome = new Set<string>();
      const gone = new Set<string>();
      for (const { event } of batch) {
        const key = credentialKeyOf(event);
        if (key) await this.revokeCredential(key);
        switch (event.type) {
          case 'person.left':
          case 'person.deleted':
            gone.add(event.person);
            break;
          case 'person.groups.changed':
          case 'person.levels.changed':
            if (event.removed.length > 0) lostSome.add(event.person);
            break;
          case 'group.changed':
            if (event.levelsRemoved.length > 0)
              for (const person of await this.deps.people.membersOf(event.group)) lostSome.add(person);
            break;
          case 'access_level.changed':
            if (event.doorsRemoved.length > 0)
              for (const person of await this.deps.people.holdersOf(event.level)) lostSome.add(person);
            break;
          default:
            break;
        }
      }
      for (const person of gone) await this.revokePerson(person);
      for (const person of gone) lostSome.delete(person);
      if (lostSome.size > 0) await this.revokeWhereNoDoorIsLeft([...lostSome]);
    });
  }

  /** The keyed hash controllers know this credential by (a PIN-only credential's key is one already). */
  hashOf(key: CredentialKey): string {
    return key.type === 'pin'
      ? key.identifier
      : credentialIdHash(this.deps.credentialKey, key.type, key.identifier);
  }

  /** Sends the revocation to every controller; resolves with each one's outcome. */
  revokeCredential(key: CredentialKey): Promise<SendOutcome[]> {
    return this.revokeByHash(this.hashOf(key));
  }

  /** The same for a credential named by the hash controllers know it by (a time-limited key). */
  revokeByHash(hash: string): Promise<SendOutcome[]> {
    const command = { kind: 'command', command: 'revoke', credential: hash } as const;
    return Promise.all([...this.deps.coordinators()].map((c) => c.revoke(command)));
  }

  /** Every credential of the person, on every controller that holds them. */
  revokePerson(person: string): Promise<SendOutcome[]> {
    const command = { kind: 'command', command: 'revoke-person', person } as const;
    return Promise.all(
      [...this.deps.coordinators()].filter((c) => c.knows(person)).map((c) => c.revoke(command)),
    );
  }

  private async revokeWhereNoDoorIsLeft(people: string[]): Promise<void> {
    const reachable = await this.deps.people.controllersOf(people);
    const sends: Promise<SendOutcome>[] = [];
    for (const coordinator of this.deps.coordinators())
      for (const person of people)
        if (coordinator.knows(person) && !reachable.get(person)?.has(coordinator.controllerId))
          sends.push(coordinator.revoke({ kind: 'command', command: 'revoke-person', person }));
    await Promise.all(sends);
  }
}

function credentialKeyOf(event: DomainEvent): CredentialKey | undefined {
  switch (event.type) {
    case 'credential.revoked':
    case 'credential.deleted':
      return event.key;
    case 'credential.updated':
      return event.replacedKey;
    default:
      return undefined;
  }
}
