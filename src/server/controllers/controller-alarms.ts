// Alarms about controllers (source `controller:<id>`), raised by the link, ingest and presence
// coordination alike. Storing one must never break the path that raised it: a failure is logged.

import type { FastifyBaseLogger } from 'fastify';
import type { AlarmService } from '../alarms/service.ts';
import type { AlarmType } from '../alarms/types.ts';

export type RaiseControllerAlarm = (
  type: AlarmType,
  controllerId: string,
  message: string,
  dedupeKey?: string,
) => Promise<void>;

export function controllerAlarms(
  alarms: AlarmService,
  site: string,
  logger: Pick<FastifyBaseLogger, 'error'>,
): RaiseControllerAlarm {
  return async (type, controllerId, message, dedupeKey) => {
    try {
      await alarms.raise({
        type,
        source: `controller:${controllerId}`,
        message,
        site,
        ...(dedupeKey && { dedupeKey }),
      });
    } catch (error) {
      logger.error({ err: { message: (error as Error).message } }, 'alarm not stored');
    }
  };
}
