// How keys join the running server (called by the composition root, compose.ts): the use log fed by
// event ingest, revocation of keys by command the moment they are revoked or rotated, and the sweep
// that ends keys (and reservations) whose time is over.

import type { FastifyBaseLogger } from 'fastify';
import type { ControllerLink } from '../controllers/link.ts';
import type { DomainBus } from '../domain/bus.ts';
import { SYSTEM_ACTOR } from '../services/write.ts';
import type { Store } from '../storage/db.ts';
import type { KeyService } from './service.ts';
import { KeyUseLog, type KeyUseNotice } from './uses.ts';

const SWEEP_MS = 30_000;

export interface KeyWiring {
  uses: KeyUseLog;
  /** subscribes the revocation of keys to the bus, once the controller link exists */
  attach(controllers: ControllerLink | undefined): void;
  /** ends what is over now (the sweep does this every half minute) */
  sweep(): Promise<void>;
  start(): void;
  stop(): void;
}

export function wireKeys(deps: {
  store: Store;
  bus: DomainBus;
  keys: KeyService;
  logger: FastifyBaseLogger;
  /** more to do on each sweep (reservations ending) */
  onSweep?: () => Promise<void>;
  notify?: (notice: KeyUseNotice) => Promise<void>;
}): KeyWiring {
  const uses = new KeyUseLog({
    db: deps.store.db,
    bus: deps.bus,
    keys: deps.keys,
    logger: deps.logger,
    ...(deps.notify && { notify: deps.notify }),
  });
  let unsubscribe: (() => void) | undefined;
  let timer: NodeJS.Timeout | undefined;
  let sweeping: Promise<void> = Promise.resolve();
  const sweep = async () => {
    await deps.keys.endExpired(SYSTEM_ACTOR);
    await deps.onSweep?.();
  };
  return {
    uses,
    attach(controllers) {
      if (!controllers) return;
      unsubscribe = deps.bus.on('key-revocation', ['key.revoked', 'key.changed'], async (event) => {
        const hash = event.type === 'key.revoked' ? event.refHash : event.replacedRefHash;
        if (hash) await controllers.revocations.revokeByHash(hash);
      });
    },
    sweep: () => {
      sweeping = sweeping.then(sweep, sweep);
      return sweeping;
    },
    start() {
      timer = setInterval(() => {
        sweeping = sweeping.then(sweep).catch((error: unknown) => {
          deps.logger.error({ err: { message: (error as Error).message } }, 'key sweep failed');
        });
      }, SWEEP_MS);
      timer.unref();
    },
    stop() {
      clearInterval(timer);
      unsubscribe?.();
    },
  };
}
