// Key uses: every access event a controller reports for a key (named `key#<id>` at ingest, see
// controllers/credential-refs.ts) is logged once with the key's sponsor. A key's first grant starts
// its "valid for N hours from first use" clock for the whole site (the snapshot narrows its
// validity); a delivery access is used up by its grant and its recipient is told.
//
// This log is what the API shows as a key's `uses` (grants recorded). Counting against `maxUses` is
// done site-wide with every other limited credential (operations/use-counts.ts): claimed by online
// controllers before they grant, so a one-use key opens one door once.

import type { FastifyBaseLogger } from 'fastify';
import type { ControllerEvent } from '../../contracts/messages.ts';
import type { DomainBus } from '../domain/bus.ts';
import type { Executor } from '../storage/db.ts';
import type { KeyService } from './service.ts';
import { type AccessKey, KeyStore } from './store.ts';

/** What the use log tells others (webhooks): a key was presented; a delivery was made. */
export interface KeyUseNotice {
  type: 'key.used' | 'delivery.used';
  key: AccessKey;
  at: number;
  door: string | null;
  result: 'grant' | 'deny';
  reason: string;
  controllerId: string;
}

export interface KeyUseDeps {
  db: Executor;
  bus: DomainBus;
  keys: KeyService;
  logger: Pick<FastifyBaseLogger, 'error'>;
  notify?: (notice: KeyUseNotice) => Promise<void>;
}

const SYSTEM = {
  origin: { actor: 'system', source: 'server', via: 'system' as const },
  scope: 'all' as const,
};

export class KeyUseLog {
  constructor(private readonly deps: KeyUseDeps) {}

  /** Never throws: a failure here must not hold up event ingest. */
  async record(controllerId: string, events: readonly ControllerEvent[]): Promise<void> {
    try {
      await this.recordAll(controllerId, events);
    } catch (error) {
      this.deps.logger.error({ err: { message: (error as Error).message } }, 'key uses not recorded');
    }
  }

  private async recordAll(controllerId: string, events: readonly ControllerEvent[]): Promise<void> {
    const store = new KeyStore(this.deps.db);
    for (const e of events) {
      if (e.type !== 'access' || typeof e.detail.keyId !== 'string') continue;
      const key = await store.key(e.detail.keyId);
      if (!key) continue;
      const result = e.detail.result === 'grant' ? 'grant' : 'deny';
      const inserted = await store.db
        .insertInto('key_uses')
        .values({
          id: `${controllerId}:${e.seq}`,
          key_id: key.id,
          at: e.at,
          door: e.door ?? null,
          result,
          reason: String(e.detail.reason ?? ''),
          controller_id: controllerId,
          sponsor: key.sponsor,
        })
        .onConflict((oc) => oc.column('id').doNothing())
        .executeTakeFirst();
      if (Number(inserted.numInsertedOrUpdatedRows ?? 0) === 0) continue; // seen before
      const notice: KeyUseNotice = {
        type: key.kind === 'delivery' && result === 'grant' ? 'delivery.used' : 'key.used',
        key,
        at: e.at,
        door: e.door ?? null,
        result,
        reason: String(e.detail.reason ?? ''),
        controllerId,
      };
      if (result === 'grant') await this.granted(store, key, e.at);
      await this.deps.notify?.(notice);
    }
  }

  private async granted(store: KeyStore, key: AccessKey, at: number): Promise<void> {
    if (key.firstUsedAt === null) {
      await store.db
        .updateTable('access_keys')
        .set({ first_used_at: at })
        .where('id', '=', key.id)
        .where('first_used_at', 'is', null)
        .execute();
      // Other controllers learn the narrowed validity from the snapshot this event brings about.
      if (key.validForMinutes !== null)
        await this.deps.bus.publish(
          [{ type: 'key.changed', key: key.id, fields: ['firstUse'] }],
          SYSTEM.origin,
        );
    }
    // Delivery access is single use: once in, it ends everywhere.
    if (key.kind === 'delivery' && key.state === 'active')
      await this.deps.keys.inWrite(SYSTEM, (tx, raise, now) =>
        this.deps.keys.endKey(new KeyStore(tx), key.id, 'ended', now, raise),
      );
  }
}
