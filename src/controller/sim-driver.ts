// The simulated I/O driver: readers, door contacts and the tamper switch as JSON lines on a stream
// (stdin of `monban controller run --driver sim`), answers as JSON lines. Used by the demo and the
// tests with real processes; real hardware drivers (OSDP readers, relay boards) sit behind the same
// agent methods. One line in, one line out:
//   {"present":{"door":"D1","side":"in","card":"C-1001"}}  → {"decision":{"result":"grant",…}}
//   {"door":"D1","open":true}                              → {"ok":true}
//   {"rex":"D1"}                                           → {"ok":true}   request-to-exit button
//   {"passage":"D1","count":2}                             → {"ok":true}   people counter
//   {"fire":"zone-1","active":true}                        → {"ok":true}   fire panel input
//   {"tamper":"case opened"}                               → {"ok":true}
//   {"status":true}                                        → {"status":{…}}
//   {"clockOffsetMs":120000}                               → {"ok":true}   simulated clock fault
// A decision answer also says which policy decided it: its snapshot version, how long ago the
// server last confirmed it (policyAgeMs, on the agent's clock) and whether the offline fallback was
// in force — what the soak (scripts/soak.ts) checks against the site's maximum policy age.
// The clock offset is a test hook of the simulated hardware only (the soak's clock skew and jump
// faults): the agent's clock reads the wall clock plus the offset. It exists only with this driver
// (`--driver sim`), never with a hardware configuration, and starts at 0.
//   {"challenge":{"door":"D1"}}                            → {"challenge":{controller,door,nonce,issuedAt,expiresAt}}
//   {"mobile":{"door":"D1","side":"in","token":"mm1.…"}}   → {"decision":{…,"refused":"replayed"?}}
// (the last two: a mobile key offline at the door, controller/mobile-doors.ts; a reader would show the
// challenge as a QR code or over BLE/NFC and take the phone's token back the same way)
// Door outputs come as lines of their own, whenever a lock changes (before the answer that caused it):
//   {"lock":{"door":"D1","unlocked":true}}

import { createInterface } from 'node:readline';
import type { Readable } from 'node:stream';
import { z } from 'zod';
import type { ControllerAgent } from './agent.ts';
import type { DoorIo } from './door-io.ts';

const lineSchema = z.union([
  z.strictObject({
    present: z.strictObject({
      door: z.string().min(1).max(64),
      side: z.enum(['in', 'out']),
      card: z.string().min(1).max(128).optional(),
      type: z.enum(['card', 'mobile', 'key']).optional(),
      pin: z
        .string()
        .regex(/^\d{1,12}$/)
        .optional(),
    }),
  }),
  z.strictObject({ door: z.string().min(1).max(64), open: z.boolean() }),
  z.strictObject({ rex: z.string().min(1).max(64) }),
  z.strictObject({ passage: z.string().min(1).max(64), count: z.number().int().min(1).max(100) }),
  z.strictObject({ fire: z.string().min(1).max(64), active: z.boolean() }),
  z.strictObject({ tamper: z.string().max(200) }),
  z.strictObject({ status: z.literal(true) }),
  // at most a day either way: enough for any drift or jump alarm, not a way to break the agent
  z.strictObject({ clockOffsetMs: z.number().int().min(-86_400_000).max(86_400_000) }),
  z.strictObject({ challenge: z.strictObject({ door: z.string().min(1).max(64) }) }),
  z.strictObject({
    mobile: z.strictObject({
      door: z.string().min(1).max(64),
      side: z.enum(['in', 'out']),
      token: z.string().min(1).max(1024),
    }),
  }),
]);

/** The simulated clock: wall clock plus an offset the sim driver may set (see the header). */
export class SimClock {
  offsetMs = 0;
  readonly now = (): number => Date.now() + this.offsetMs;
}

/** Door outputs as JSON lines on the same stream as the answers. */
export function simDoorIo(write: (line: string) => void): DoorIo {
  return { setUnlocked: (door, unlocked) => write(JSON.stringify({ lock: { door, unlocked } })) };
}

export function runSimDriver(
  agent: ControllerAgent,
  input: Readable,
  write: (line: string) => void,
  clock: SimClock = new SimClock(),
): Promise<void> {
  const lines = createInterface({ input, crlfDelay: Number.POSITIVE_INFINITY });
  const answer = (value: unknown) => write(JSON.stringify(value));
  // One line at a time, in order: a presentation may wait for the server (a use claim), and the
  // answers must come in the order of the lines.
  let queue: Promise<void> = Promise.resolve();
  lines.on('line', (text) => {
    // A line that fails (a journal that cannot be written: a full disk) still gets its one answer,
    // so the answers stay in line with the questions; the code only, never the line's content.
    queue = queue
      .then(() => handle(text))
      .catch((error: unknown) =>
        answer({ error: `failed: ${(error as NodeJS.ErrnoException).code ?? 'internal error'}` }),
      );
  });
  const handle = async (text: string): Promise<void> => {
    if (text.trim() === '') return;
    let raw: unknown;
    try {
      raw = JSON.parse(text);
    } catch {
      answer({ error: 'not JSON' });
      return;
    }
    const parsed = lineSchema.safeParse(raw);
    if (!parsed.success) {
      const issue = parsed.error.issues[0]!;
      answer({ error: `${issue.path.join('.') || 'line'}: ${issue.message}` });
      return;
    }
    const line = parsed.data;
    if ('present' in line) {
      const { door, side, card, type, pin } = line.present;
      const d = await agent.presentShared({
        door,
        side,
        ...(card !== undefined && { card }),
        ...(type !== undefined && { type }),
        ...(pin !== undefined && { pin }),
      });
      // Never echo the PIN or card number back: the decision names the person and the reason.
      const health = agent.health();
      answer({
        decision: { result: d.result, reason: d.reason, person: d.person ?? null, warnings: d.warnings },
        policy: {
          snapshotVersion: health.snapshotVersion,
          ageMs: health.confirmedAt > 0 ? clock.now() - health.confirmedAt : null,
          fallback: health.fallback,
        },
      });
    } else if ('open' in line) {
      agent.doorSensor(line.door, line.open);
      answer({ ok: true });
    } else if ('rex' in line) {
      agent.requestToExit(line.rex);
      answer({ ok: true });
    } else if ('passage' in line) {
      if (agent.hasDoor(line.passage)) agent.passage(line.passage, line.count);
      answer(agent.hasDoor(line.passage) ? { ok: true } : { error: `passage: unknown door ${line.passage}` });
    } else if ('fire' in line) {
      agent.fire(line.fire, line.active);
      answer({ ok: true });
    } else if ('challenge' in line) {
      const challenge = agent.mobile.challenge(line.challenge.door);
      answer(challenge ? { challenge } : { error: `challenge: unknown door ${line.challenge.door}` });
    } else if ('mobile' in line) {
      const { door, side, token } = line.mobile;
      const d = await agent.mobile.present(door, side, token);
      answer({
        decision: {
          result: d.result,
          reason: d.reason,
          person: d.person ?? null,
          warnings: d.warnings,
          ...(d.refused !== undefined && { refused: d.refused }),
        },
      });
    } else if ('tamper' in line) {
      agent.tamper(line.tamper);
      answer({ ok: true });
    } else if ('clockOffsetMs' in line) {
      clock.offsetMs = line.clockOffsetMs;
      answer({ ok: true });
    } else {
      answer({
        status: {
          connected: agent.link.connected,
          serverLost: agent.serverLost,
          snapshotVersion: agent.snapshotVersion,
          fallback: agent.inFallback,
          journalNext: agent.journal.next,
          journalAcknowledged: agent.journal.acknowledged,
          journalBlocked: agent.health().journalBlocked,
        },
      });
    }
  };
  return new Promise((resolve) => lines.once('close', () => resolve()));
}
