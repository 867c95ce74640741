// Controller ↔ server message bodies are validated at the boundary: good messages parse, bad ones
// are refused with the field named and without echoing values.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseMessage } from '../../src/contracts/messages.ts';

describe('message bodies', () => {
  it('accepts event batches, acks, heartbeats and commands', () => {
    expect(
      parseMessage({
        kind: 'events',
        events: [
          { seq: 1, at: 1000, type: 'access', door: 'D1', person: 'alice', detail: { result: 'grant' } },
        ],
      }).ok,
    ).toBe(true);
    expect(parseMessage({ kind: 'events-ack', upTo: 41 }).ok).toBe(true);
    expect(
      parseMessage({
        kind: 'heartbeat',
        clock: 5,
        softwareVersion: '0.1.0',
        configHash: 'a'.repeat(64),
        snapshotVersion: 3,
        journalPending: 0,
      }).ok,
    ).toBe(true);
    expect(
      parseMessage({ kind: 'command', command: 'override-door', door: 'D1', mode: 'locked', minutes: 10 }).ok,
    ).toBe(true);
    expect(parseMessage({ kind: 'command', command: 'revoke-person', person: 'alice' }).ok).toBe(true);
    expect(parseMessage({ kind: 'command', command: 'revoke-person', person: '' }).ok).toBe(false);
  });

  it('refuses bad input naming the field, without echoing it', () => {
    const bad = parseMessage({ kind: 'command', command: 'revoke', credential: 'card:C-1001' });
    expect(bad).toMatchObject({ ok: false });
    expect(!bad.ok && bad.error).toMatch(/^credential: /);
    expect(JSON.stringify(bad)).not.toContain('C-1001');
    expect(parseMessage({ kind: 'events', events: [] })).toMatchObject({ ok: false });
    expect(
      parseMessage({ kind: 'command', command: 'override-door', door: 'D1', mode: 'locked', minutes: 0 }),
    ).toMatchObject({ ok: false });
  });

  it('never throws on arbitrary input', () => {
    fc.assert(
      fc.property(fc.anything(), (value) => {
        expect(() => parseMessage(value)).not.toThrow();
      }),
    );
  });
});
