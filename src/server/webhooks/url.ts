// Where a webhook may be sent: HTTPS, or plain HTTP only to this machine (loopback), for a receiver
// on the same host. No credentials in the URL (they would be stored and shown).

const LOOPBACK = /^(localhost|127(?:\.\d{1,3}){3}|\[::1\])$/i;

/** Why the URL is refused, or undefined when it is fine. */
export function webhookUrlProblem(text: string): string | undefined {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return 'must be an absolute URL';
  }
  if (url.username || url.password) return 'must not carry a user name or password';
  if (url.hash) return 'must not have a fragment';
  if (url.protocol === 'https:') return undefined;
  if (url.protocol === 'http:' && LOOPBACK.test(url.hostname)) return undefined;
  return 'must be https:// (plain http:// only to a loopback address)';
}
