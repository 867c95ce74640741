// A small driver that runs a control panel in real time: calls refresh() on an interval with a
// monotonic clock. The protocol code itself has no timers; this is the one place an application
// without its own loop gets them.

import type { ControlPanel } from './cp.ts';

export interface CpDriver {
  stop(): void;
}

export function runControlPanel(
  cp: ControlPanel,
  options: { intervalMs?: number; now?: () => number } = {},
): CpDriver {
  const now = options.now ?? (() => performance.now());
  cp.refresh(now());
  const timer = setInterval(() => cp.refresh(now()), options.intervalMs ?? 5);
  return { stop: () => clearInterval(timer) };
}
