// Events the core asks its caller to record. They name credentials by their safe `ref`, never by a
// key that could hold PIN digits.

import type { DoorPhase } from './door-machine.ts';
import type { Side } from './policy.ts';
import type { AlarmType, GrantWarning, Reason } from './reasons.ts';

export type CoreEvent =
  | {
      type: 'access';
      at: number;
      door: string;
      side: Side;
      result: 'grant' | 'deny';
      reason: Reason;
      warnings: readonly GrantWarning[];
      person?: string;
      credential?: string;
    }
  | {
      type: 'alarm';
      at: number;
      alarm: AlarmType;
      door?: string;
      area?: string;
      person?: string;
      zone?: string;
      detail?: string;
    }
  | { type: 'door'; at: number; door: string; phase: DoorPhase }
  | { type: 'operator'; at: number; action: string; target: string };

export type TraceResult = 'pass' | 'fail' | 'warn' | 'skip';
export const TRACE_RESULTS: readonly TraceResult[] = ['pass', 'fail', 'warn', 'skip'];

/** One rule checked for a decision, in the order checked. */
export interface TraceEntry {
  rule: string;
  result: TraceResult;
  detail?: string;
}
