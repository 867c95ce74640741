// Alarm e-mail against a local SMTP sink (smtp-server, in-process, STARTTLS and a login required):
// a real alarm (an account locked by failed logins) mails the first list at once; left
// unacknowledged past the escalation time it mails the second list, once, however often the sweep
// runs; an alarm acknowledged in time does not escalate; one below the threshold is not mailed; a
// server that cannot be reached is retried with backoff. No password typed, SMTP password or key
// appears in any mail.
import { mkdtempSync, rmSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SMTPServer } from 'smtp-server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EmailNotifier } from '../../../src/server/notify/email.ts';
import { loadOrCreateCertificate } from '../../../src/server/transport/certificate.ts';
import { freePort } from '../../support/fleet.ts';
import { type Harness, startHarness } from '../security/support/harness.ts';

const SMTP_USER = 'monban';
const SMTP_PASSWORD = 'smtp-secret-5d1c9a7e40';
const TYPED_PASSWORD = 'wrong-guess-Qx81-zz';

interface Mail {
  to: string[];
  raw: string;
  subject: string;
  text: string;
}

/** Quoted-printable and soft line breaks undone, enough to read what nodemailer wrote. */
function decode(raw: string): { subject: string; text: string } {
  const [head = '', ...body] = raw.split(/\r?\n\r?\n/);
  const subject = /^Subject: (.*(?:\r?\n[ \t].*)*)/m.exec(head)?.[1]?.replace(/\r?\n[ \t]/g, ' ') ?? '';
  const text = body
    .join('\n\n')
    .replace(/=\r?\n/g, '')
    .replace(/=([0-9A-F]{2})/g, (_, hex: string) => String.fromCharCode(Number.parseInt(hex, 16)));
  return { subject, text };
}

const dir = mkdtempSync(join(tmpdir(), 'monban-notify-'));
const mails: Mail[] = [];
let sink: SMTPServer;
let port = 0;
let h: Harness;
let email: EmailNotifier;

beforeAll(async () => {
  const cert = await loadOrCreateCertificate(dir, { hostnames: ['127.0.0.1'] });
  sink = new SMTPServer({
    key: cert.key,
    cert: cert.cert,
    authMethods: ['PLAIN', 'LOGIN'],
    onAuth(auth, _session, callback) {
      if (auth.username === SMTP_USER && auth.password === SMTP_PASSWORD) callback(null, { user: SMTP_USER });
      else callback(new Error('bad login'));
    },
    onData(stream, session, callback) {
      let raw = '';
      stream.setEncoding('utf8');
      stream.on('data', (chunk: string) => {
        raw += chunk;
      });
      stream.on('end', () => {
        if (!session.secure) return callback(new Error('mail over a connection without TLS'));
        mails.push({ to: session.envelope.rcptTo.map((r) => r.address), raw, ...decode(raw) });
        callback();
      });
    },
  });
  await new Promise<void>((resolve) => sink.listen(0, '127.0.0.1', () => resolve()));
  port = (sink.server.address() as AddressInfo).port;
  email = new EmailNotifier({
    url: `smtp://127.0.0.1:${port}`,
    from: 'Monban <monban@example.jp>',
    to: ['guard@example.jp', 'desk@example.jp'],
    escalateTo: ['chief@example.jp'],
    auth: { user: SMTP_USER, pass: SMTP_PASSWORD },
    ca: cert.cert,
  });
  h = await startHarness({
    notify: { notifiers: [email], escalateAfterMinutes: 10, publicOrigin: 'https://monban.test' },
  });
  h.scanner.secret('SMTP password', SMTP_PASSWORD);
}, 60_000);

afterAll(async () => {
  await h?.close();
  await new Promise<void>((resolve) => sink.close(() => resolve()));
  rmSync(dir, { recursive: true, force: true });
});

const sweep = () => h.server.notifications!.sweep();
const mailsTo = (address: string) => mails.filter((m) => m.to.includes(address));

describe('alarm e-mail', () => {
  it('mails a new alarm, then escalates it once when it stays unacknowledged', async () => {
    // A real alarm: the account is locked after repeated failed logins.
    for (let i = 0; i < 5; i++) await h.agent('198.51.100.9').login('admin', TYPED_PASSWORD);
    await sweep();
    const first = mailsTo('guard@example.jp');
    expect(first).toHaveLength(1);
    expect(first[0]!.to.sort()).toEqual(['desk@example.jp', 'guard@example.jp']);
    expect(first[0]!.subject).toMatch(/^\[Monban\] HIGH login_failures: login locked for admin/);
    expect(first[0]!.text).toContain('A new alarm was raised.');
    expect(first[0]!.text).toContain('Acknowledge it in the console: https://monban.test/alarms');
    expect(mailsTo('chief@example.jp')).toHaveLength(0);

    h.clock.advance(9 * 60_000);
    await sweep();
    expect(mailsTo('chief@example.jp')).toHaveLength(0);
    h.clock.advance(2 * 60_000);
    await sweep();
    await sweep();
    const escalated = mailsTo('chief@example.jp');
    expect(escalated).toHaveLength(1);
    expect(escalated[0]!.subject).toMatch(/^\[Monban\] ESCALATED HIGH login_failures/);
    expect(escalated[0]!.text).toContain('has not been acknowledged for 11 minutes');
    expect(mailsTo('guard@example.jp')).toHaveLength(1);

    for (const mail of mails) {
      expect(mail.raw).not.toContain(TYPED_PASSWORD);
      expect(mail.raw).not.toContain(SMTP_PASSWORD);
      expect(mail.raw).not.toContain(h.installationKey.toString('base64'));
      expect(mail.raw).not.toContain('198.51.100.9'); // the alarm's detail stays on the server
    }
  }, 60_000);

  it('does not escalate an alarm acknowledged in time, nor mail one below the threshold', async () => {
    const before = mails.length;
    const forced = await h.server.alarms.raise({
      type: 'forced_open',
      source: 'door:D7',
      message: 'door D7 forced open',
      site: 'tokyo',
    });
    await h.server.alarms.raise({
      type: 'tailgating',
      source: 'door:D7',
      message: 'two people on one grant',
    });
    await sweep();
    expect(mails.slice(before).map((m) => m.subject)).toEqual([
      '[Monban] HIGH forced_open: door D7 forced open',
    ]);
    const { agent: admin } = await h.loggedInAdmin('admin-ack');
    const ack = await admin.post(`/api/alarms/${forced.id}/acknowledge`, { comment: 'guard on the way' });
    expect(ack.statusCode).toBe(200);
    h.clock.advance(30 * 60_000);
    await sweep();
    expect(mails.slice(before)).toHaveLength(1);
  }, 60_000);

  it('retries a server that cannot be reached, with backoff', async () => {
    const unreachable = new EmailNotifier({
      url: `smtp://127.0.0.1:${await freePort()}`,
      from: 'monban@example.jp',
      to: ['guard@example.jp'],
      escalateTo: [],
      timeoutMs: 2_000,
      channel: 'email-2',
    });
    const { AlarmNotifications } = await import('../../../src/server/notify/dispatcher.ts');
    const { notifyDb } = await import('../../../src/server/notify/deliveries.ts');
    const notifications = new AlarmNotifications(h.db, { info() {}, warn() {}, error() {} }, h.clock, {
      notifiers: [unreachable],
    });
    const alarm = await h.server.alarms.raise({
      type: 'tamper',
      source: 'controller:c9',
      message: 'case opened',
    });
    await notifications.sweep();
    const row = () =>
      notifyDb(h.db)
        .selectFrom('alarm_notifications')
        .selectAll()
        .where('alarm_id', '=', alarm.id)
        .where('channel', '=', 'email-2')
        .executeTakeFirstOrThrow();
    expect(await row()).toMatchObject({ state: 'failed', attempts: 1, error: 'ESOCKET' });
    await notifications.sweep(); // not yet due
    expect((await row()).attempts).toBe(1);
    h.clock.advance(61_000);
    await notifications.sweep();
    expect(await row()).toMatchObject({ state: 'failed', attempts: 2 });
    await notifications.stop();
  }, 60_000);
});
