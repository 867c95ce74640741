// Backup codes are shown once, right after they are issued, and must stay on screen until the
// operator confirms they stored them, even though the session moves on underneath.
import { useSyncExternalStore } from 'react';

let codes: string[] | undefined;
const listeners = new Set<() => void>();

export function showBackupCodes(next: string[] | undefined): void {
  codes = next;
  for (const listener of listeners) listener();
}

export function usePendingBackupCodes(): string[] | undefined {
  return useSyncExternalStore(
    (listener) => {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    () => codes,
  );
}
