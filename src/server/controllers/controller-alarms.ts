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
  /** the door it happened at (the alarm's detail names it; the push stream and console show it) */
  door?: string,
) => Promise<void>;

export function controllerAlarms(
  alarms: AlarmService,
  /** the site of a controller (alarms carry it, for operators scoped to sites), or one for all */
  site: string | ((controllerId: string) => string),
  logger: Pick<FastifyBaseLogger, 'error'>,
): RaiseControllerAlarm {
  return async (type, controllerId, message, dedupeKey, door) => {
    try {
      await alarms.raise({
        type,
        source: `controller:${controllerId}`,
        message,
        site: typeof site === 'string' ? site : site(controllerId),
        detail: { controllerId, ...(door !== undefined && { door }) },
        ...(dedupeKey && { dedupeKey }),
      });
    } catch (error) {
      logger.error({ err: { message: (error as Error).message } }, 'alarm not stored');
    }
  };
}
