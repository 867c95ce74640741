// Supervision of a controller ↔ server link from either end (R-SEC-5): heartbeats keep the link up;
// silence past the timeout marks it lost — one alarm when lost, one event when back, never a flood;
// the peer's reported clock raises time_drift when it is off by more than 2 s or jumps.
// A peer that seems behind by a little (at most 10 s) may only be late: a heartbeat held up on its
// way (a slow network, a reconnect, a loaded broker) reads as a clock behind by its transit time.
// That must last CONFIRM_LAG_MS before it is an alarm, and a late sample is no reference for jumps,
// so one late heartbeat raises nothing — no alarm that flaps with the network.
// A state machine as a table; the caller applies the returned state and records the events.

export type LinkState = 'unknown' | 'up' | 'lost';
export type LinkInput = 'heard' | 'silent';

export interface LinkStatus {
  state: LinkState;
  lastHeard: number;
  /** the peer's clock at the last heartbeat, and our clock then, for jump detection */
  lastPeerClock?: number;
  lastLocalClock?: number;
  /** since when the peer has seemed a little behind (maybe late, not yet an alarm) */
  behindSince?: number;
}

export type LinkEvent =
  | { type: 'link'; at: number; state: 'lost' | 'restored' }
  | { type: 'alarm'; at: number; alarm: 'comms_lost' | 'time_drift'; detail: string };

export const MAX_DRIFT_MS = 2000;
/** Behind by up to this much may be a message late in transit; beyond it, a clock fault at once. */
export const MAX_LAG_MS = 10_000;
/** How long a small lag must last before it is taken for a clock behind. */
export const CONFIRM_LAG_MS = 2000;

const TRANSITIONS: Record<LinkState, Record<LinkInput, { next: LinkState; event?: 'lost' | 'restored' }>> = {
  unknown: { heard: { next: 'up' }, silent: { next: 'lost', event: 'lost' } },
  up: { heard: { next: 'up' }, silent: { next: 'lost', event: 'lost' } },
  lost: { heard: { next: 'up', event: 'restored' }, silent: { next: 'lost' } },
};

export function initialLink(now: number): LinkStatus {
  return { state: 'unknown', lastHeard: now };
}

/** A valid message or heartbeat arrived; `peerClock` when it reported its clock. */
export function heard(
  status: LinkStatus,
  now: number,
  peerClock?: number,
): { status: LinkStatus; events: LinkEvent[] } {
  const t = TRANSITIONS[status.state].heard;
  const events: LinkEvent[] = [];
  if (t.event === 'restored') events.push({ type: 'link', at: now, state: 'restored' });
  const next: LinkStatus = { state: t.next, lastHeard: now };
  if (peerClock !== undefined) {
    const drift = peerClock - now;
    if (drift < -MAX_DRIFT_MS && drift >= -MAX_LAG_MS) {
      const since = status.behindSince ?? now;
      next.behindSince = since;
      if (now - since < CONFIRM_LAG_MS) {
        // Maybe late: the jump reference stays the last sample taken for what it says.
        if (status.lastPeerClock !== undefined && status.lastLocalClock !== undefined) {
          next.lastPeerClock = status.lastPeerClock;
          next.lastLocalClock = status.lastLocalClock;
        }
        return { status: next, events };
      }
    }
    if (Math.abs(drift) > MAX_DRIFT_MS) {
      events.push({
        type: 'alarm',
        at: now,
        alarm: 'time_drift',
        detail: `peer clock off by ${Math.round(drift / 1000)} s`,
      });
    } else if (status.lastPeerClock !== undefined && status.lastLocalClock !== undefined) {
      const jump = peerClock - status.lastPeerClock - (now - status.lastLocalClock);
      if (Math.abs(jump) > MAX_DRIFT_MS)
        events.push({
          type: 'alarm',
          at: now,
          alarm: 'time_drift',
          detail: `peer clock jumped ${Math.round(jump / 1000)} s`,
        });
    }
    next.lastPeerClock = peerClock;
    next.lastLocalClock = now;
  } else if (status.lastPeerClock !== undefined && status.lastLocalClock !== undefined) {
    next.lastPeerClock = status.lastPeerClock;
    next.lastLocalClock = status.lastLocalClock;
  }
  return { status: next, events };
}

/** Called periodically: silence longer than `timeoutMs` marks the link lost (alarm once). */
export function check(
  status: LinkStatus,
  now: number,
  timeoutMs: number,
): { status: LinkStatus; events: LinkEvent[] } {
  if (now - status.lastHeard <= timeoutMs) return { status, events: [] };
  const t = TRANSITIONS[status.state].silent;
  const events: LinkEvent[] = [];
  if (t.event === 'lost') {
    events.push(
      { type: 'link', at: now, state: 'lost' },
      {
        type: 'alarm',
        at: now,
        alarm: 'comms_lost',
        detail: `nothing heard for ${Math.round((now - status.lastHeard) / 1000)} s`,
      },
    );
  }
  return { status: { ...status, state: t.next }, events };
}
