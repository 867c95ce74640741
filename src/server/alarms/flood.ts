// Flood control (issue 12: an alarm must be impossible to miss, so the queue must not drown): a door
// that is forced open again and again, or a reader tampered with every second, is one open alarm
// whose `occurrences` count up, not a page of copies. The store folds a raise into the open
// (active or acknowledged) alarm with the same type and key; this is the key for what a controller
// reports, so the identity of such an alarm is (controller, door, type). Duress never folds
// (STANDS_ALONE in types.ts): each one is its own alarm.

/** The key under which a controller's alarms at one door (or at the controller itself) fold. */
export function controllerAlarmKey(controllerId: string, door: string | null | undefined): string {
  return `at:${controllerId}:${door ?? '-'}`;
}
