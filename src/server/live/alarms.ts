// Alarms on the push stream (issue 9 §2, issue 12: an alarm is impossible to miss). Every change the
// alarm service makes — raised, repeated (flood control counts it on the open alarm), acknowledged,
// resolved, commented — is one `alarm` event carrying the alarm as the API shows it, so a console
// updates its queue from the event alone. Server alarms (login failures, clock drift, a controller's
// link lost) come the same way as those a controller reports, with `controllerId` null when no
// controller is concerned. With several server instances, each change is relayed to the others
// (cluster relay kind `alarm`), whose streams carry it too; what arrives is checked against the
// alarm schema and refused whole when it does not hold.

import { z } from 'zod';
import { alarmVisible } from '../alarms/scope.ts';
import type { AlarmListener } from '../alarms/service.ts';
import { ALARM_CHANGES, type AlarmChange } from '../alarms/types.ts';
import { type AlarmOut, alarmOut, alarmSchema } from '../alarms/wire.ts';
import type { ScopeFilter } from '../storage/scope.ts';
import type { LiveEvent, LiveHub } from './hub.ts';

/** What one instance relays to the others for each change. */
const relayedBody = z.strictObject({
  change: z.enum(ALARM_CHANGES),
  at: z.number().int().nonnegative(),
  alarm: alarmSchema,
});
export type RelayedAlarm = z.infer<typeof relayedBody>;

const CONTROLLER_SOURCE = 'controller:';

/** The live event of one change: the controller and door it concerns, the alarm in `detail`. */
export function alarmEvent(change: AlarmChange, alarm: AlarmOut, at: number): Omit<LiveEvent, 'id'> {
  const door = alarm.detail.door;
  return {
    kind: 'alarm',
    at,
    controllerId: alarm.source.startsWith(CONTROLLER_SOURCE)
      ? alarm.source.slice(CONTROLLER_SOURCE.length)
      : null,
    door: typeof door === 'string' ? door : null,
    area: null,
    personId: null,
    detail: { change, alarm },
  };
}

/** Whether a scoped subscriber sees an alarm event: the same rule as GET /api/alarms. */
export function alarmEventVisible(scope: ScopeFilter, event: LiveEvent): boolean {
  const alarm = event.detail.alarm as AlarmOut | undefined;
  return alarm !== undefined && alarmVisible(scope, alarm.site);
}

/** The alarm service's listener that puts each change on this instance's stream and relays it. */
export function liveAlarms(options: {
  hub: LiveHub;
  now: () => number;
  /** to the other server instances; undefined or a no-op when this is the only one */
  relay?: (body: RelayedAlarm) => Promise<void>;
}): AlarmListener {
  return {
    changed: async (change, alarm) => {
      const body: RelayedAlarm = { change, at: options.now(), alarm: alarmOut(alarm) };
      options.hub.alarmChanged(body.change, body.alarm, body.at);
      await options.relay?.(body);
    },
  };
}

/** A change relayed by another instance: onto this instance's stream, or refused when malformed. */
export function applyRelayedAlarm(hub: LiveHub, body: unknown): void {
  const parsed = relayedBody.safeParse(body);
  if (!parsed.success) throw new Error('relayed alarm refused: it does not match the alarm schema');
  hub.alarmChanged(parsed.data.change, parsed.data.alarm, parsed.data.at);
}
