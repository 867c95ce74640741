// A child process of `npm run bench:stack`: N clients of the push stream (GET /api/live/stream),
// each parsing the Server-Sent Events it receives and timing every access event from its decision
// (the event's `at`, set by the controller that decided) to its arrival here. A process of its own,
// so that parsing 50 streams does not sit on the server's event loop; Date.now() is the machine's
// one clock. The token comes over IPC, never on the command line.

import { request } from 'node:https';

interface Setup {
  url: string;
  token: string;
  ca: string;
  clients: number;
}

const send = (message: unknown) => process.send?.(message);
const delays: number[] = [];
let connected = 0;
const requests: ReturnType<typeof request>[] = [];

function connect({ url, token, ca, clients }: Setup): void {
  const req = request(
    new URL('/api/live/stream', url),
    { ca, headers: { authorization: `Bearer ${token}`, accept: 'text/event-stream' } },
    (res) => {
      if (res.statusCode !== 200) {
        send({ error: `push stream answered HTTP ${res.statusCode}` });
        res.resume();
        return;
      }
      connected++;
      if (connected === clients) send({ connected });
      let buffer = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        // One arrival time for the chunk; frames read in place (a chunk holds many frames: slicing
        // the rest off after each would be quadratic, and this process must keep up with 50 streams).
        const now = Date.now();
        buffer += chunk;
        let start = 0;
        let end = buffer.indexOf('\n\n', start);
        while (end >= 0) {
          const frame = buffer.slice(start, end);
          start = end + 2;
          end = buffer.indexOf('\n\n', start);
          if (!frame.includes('event: access')) continue;
          const data = frame.indexOf('\ndata: ');
          if (data < 0) continue;
          const at = Date.parse((JSON.parse(frame.slice(data + 7)) as { at: string }).at);
          delays.push(now - at);
        }
        buffer = buffer.slice(start);
      });
    },
  );
  req.on('error', (error) => send({ error: error.message }));
  req.end();
  requests.push(req);
}

// The bench gone (it crashed or was killed): stop too.
process.on('disconnect', () => process.exit(0));

process.on('message', (message: 'report' | { setup: Setup }) => {
  if (typeof message === 'object') for (let i = 0; i < message.setup.clients; i++) connect(message.setup);
  if (message === 'report') {
    for (const req of requests) req.destroy();
    send({ delays, rssMiB: process.memoryUsage().rss / 2 ** 20, pid: process.pid });
  }
});
