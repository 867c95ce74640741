// A real Server-Sent Events client for tests: one HTTP(S) request to the push stream, its frames
// parsed as they arrive (id, event, data as JSON). `waitFor` resolves with the first event that
// matches; `close()` ends the request so no socket stays open.
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';

export interface SseEvent {
  id: string | undefined;
  event: string;
  // biome-ignore lint/suspicious/noExplicitAny: a test reads whatever the event carries
  data: any;
}

export interface SseClient {
  readonly events: SseEvent[];
  waitFor(what: string, match: (e: SseEvent) => boolean, timeoutMs?: number): Promise<SseEvent>;
  close(): void;
}

export async function openSse(
  url: string,
  options: { headers?: Record<string, string>; ca?: string } = {},
): Promise<SseClient> {
  const events: SseEvent[] = [];
  const waiters = new Set<() => void>();
  let buffer = '';
  const request = url.startsWith('https:') ? httpsRequest : httpRequest;
  const req = request(url, {
    agent: false,
    headers: { accept: 'text/event-stream', ...options.headers },
    ...(options.ca && { ca: options.ca }),
  });
  await new Promise<void>((resolve, reject) => {
    req.on('response', (res) => {
      if (res.statusCode !== 200 || !/text\/event-stream/.test(String(res.headers['content-type']))) {
        reject(new Error(`stream answered ${res.statusCode} ${res.headers['content-type']}`));
        res.resume();
        return;
      }
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        buffer += chunk;
        for (let end = buffer.indexOf('\n\n'); end >= 0; end = buffer.indexOf('\n\n')) {
          const block = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          const event = /^event: (.*)$/m.exec(block)?.[1];
          const data = /^data: (.*)$/m.exec(block)?.[1];
          if (event && data)
            events.push({ id: /^id: (.*)$/m.exec(block)?.[1], event, data: JSON.parse(data) });
        }
        for (const wake of waiters) wake();
      });
      res.on('error', () => {});
      resolve();
    });
    req.on('error', reject);
    req.end();
  });
  return {
    events,
    waitFor(what, match, timeoutMs = 10_000) {
      return new Promise((resolve, reject) => {
        const check = () => {
          const found = events.find(match);
          if (!found) return;
          clearTimeout(timer);
          waiters.delete(check);
          resolve(found);
        };
        const timer = setTimeout(() => {
          waiters.delete(check);
          reject(
            new Error(
              `timed out after ${timeoutMs} ms waiting for ${what}; events: ${events.map((e) => e.event).join(', ')}`,
            ),
          );
        }, timeoutMs);
        waiters.add(check);
        check();
      });
    },
    close: () => req.destroy(),
  };
}
