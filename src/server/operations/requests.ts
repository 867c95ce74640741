// The operator actions as the API takes them (POST /api/actions): the core's own operator vocabulary
// (core/operator.ts, as the signed command carries it, contracts/messages.ts), with the site they
// apply to where an action is site-wide, plus the one action that is a change of the site model
// rather than of runtime state: an area's occupancy maximum.

import { z } from 'zod';
import { OPERATOR_ACTION_SCHEMAS as A } from '../../contracts/messages.ts';

const site = z
  .string()
  .min(1)
  .max(64)
  .optional()
  .meta({ description: 'the site it applies to; default: every site in your scope' });

export const actionRequestSchema = z
  .discriminatedUnion('action', [
    A.unlockDoor.meta({ description: 'a remote open: the strike releases for the door’s strike time' }),
    A.overrideDoor.meta({
      description:
        'the door stays unlocked (or locked) for `minutes`; the controller holds the end time and reverts by itself',
    }),
    A.endOverride.meta({ description: 'ends a timed override now' }),
    A.setLockdown.extend({ site }).meta({
      description: 'every door locks (fire egress still opens); members of `exempt` groups still pass',
    }),
    A.setThreatLevel.extend({ site }).meta({
      description: 'access levels with a lower maximum threat level stop granting',
    }),
    A.forgiveAntipassback.meta({
      description: 'the person’s presence becomes unknown everywhere: their next passage is allowed',
    }),
    A.resetArea.meta({
      description: 'everyone’s presence in the area (and the areas within) becomes unknown',
    }),
    A.clearFire.extend({ site }).meta({
      description: 'the fire zone’s egress doors return to their normal mode',
    }),
    z
      .strictObject({
        action: z.literal('set-occupancy-limit'),
        area: z.string().min(1).max(64),
        maxOccupancy: z.number().int().min(0).max(1_000_000).nullable(),
      })
      .meta({
        description:
          'changes the area’s occupancy maximum (null: none); its controllers receive it with their next snapshot',
      }),
  ])
  .meta({ id: 'ActionRequest' });

export type ActionRequest = z.infer<typeof actionRequestSchema>;
export type ActionName = ActionRequest['action'];

const iso = z.iso.datetime();

export const actionStatusSchema = z
  .object({
    id: z.string(),
    action: z.string().meta({ description: 'the action’s name, as requested' }),
    target: z.string().meta({ description: '`door:D1`, `area:lab`, `person:alice`, `zone:z1`, `site:main`' }),
    request: z.record(z.string(), z.unknown()),
    requestedBy: z.string(),
    requestedAt: iso,
    state: z
      .enum(['pending', 'done'])
      .meta({ description: 'done: every controller concerned has a final outcome' }),
    controllers: z.array(
      z.object({
        controllerId: z.string(),
        outcome: z.enum(['pending', 'applied', 'refused', 'not_reachable']),
        detail: z.string().nullable(),
        at: iso,
      }),
    ),
  })
  .meta({ id: 'ActionStatus' });
