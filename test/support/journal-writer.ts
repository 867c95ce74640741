// Child process for the crash test: appends events to a journal forever, printing each sequence
// number only after append() has returned (the event is on disk). The parent kills it with SIGKILL.
import { Journal } from '../../src/controller/journal.ts';

const journal = Journal.open(process.argv[2]!);
process.stdout.write(`ready ${journal.next}\n`);
for (;;) {
  const seq = journal.next;
  const payload = new TextEncoder().encode(
    JSON.stringify({ event: 'access', seq, pad: 'x'.repeat(seq % 200) }),
  );
  const written = journal.append(payload);
  process.stdout.write(`${written}\n`);
}
