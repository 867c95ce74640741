// A child process of `npm run bench:stack` (--controller-processes N): the controller agents of its
// share of the site, out of the server's process and event loop, as real controllers are devices of
// their own. The parent enrolls them (identity.json in each controller's directory, so no key or
// token crosses the command line or IPC) and then asks over IPC what it would ask a LocalFleet:
// each message { id, op, args } is answered { id, result } or { id, error }.

import { LocalFleet, type SimFleet } from '../src/sim/load/fleet.ts';
import { type SimSize, simPlan } from '../src/sim/load/plan.ts';

export interface ControllerProcessSetup {
  ids: string[];
  dataDir: string;
  size: SimSize;
  role: string;
}

export type FleetOp = Exclude<keyof SimFleet, 'ids'>;

const send = (message: unknown, then: () => void = () => {}) => process.send?.(message, then);
let fleet: LocalFleet | undefined;

// The parent gone (it crashed or was killed): stop too, rather than linger with a hundred agents.
process.on('disconnect', () => process.exit(0));

process.on(
  'message',
  (message: { setup: ControllerProcessSetup } | { id: number; op: FleetOp; args: unknown[] }) => {
    if ('setup' in message) {
      const { ids, dataDir, size, role } = message.setup;
      LocalFleet.start({
        ids,
        plan: simPlan(size),
        dataDir,
        role,
        progress: (progress) => send({ progress }),
      }).then(
        (started) => {
          fleet = started;
          send({ ready: true });
        },
        (error: unknown) => send({ setupError: String(error) }),
      );
      return;
    }
    const { id, op, args } = message;
    const call = fleet![op] as (...a: unknown[]) => Promise<unknown>;
    call.apply(fleet, args).then(
      // Stopped: answer, then go (the agents have closed their connections and timers).
      (result) => send({ id, result }, op === 'stop' ? () => process.exit(0) : undefined),
      (error: unknown) => send({ id, error: error instanceof Error ? error.message : String(error) }),
    );
  },
);
