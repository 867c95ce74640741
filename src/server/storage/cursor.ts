// Opaque pagination cursors: the sort key of the last item of a page, base64url-encoded JSON.

export interface Page<T> {
  items: T[];
  /** pass back to get the next page; undefined on the last page */
  next: string | undefined;
}

export function encodeCursor(key: readonly (string | number)[]): string {
  return Buffer.from(JSON.stringify(key)).toString('base64url');
}

/** The decoded key, or undefined for a cursor that is not ours (the caller answers 400). */
export function decodeCursor(cursor: string): (string | number)[] | undefined {
  try {
    const value: unknown = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
    return Array.isArray(value) && value.every((v) => typeof v === 'string' || typeof v === 'number')
      ? value
      : undefined;
  } catch {
    return undefined;
  }
}
