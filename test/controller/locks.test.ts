// Battery locks behind a hub (R-KEY-4) with a real controller agent deciding from its signed
// snapshot and no server: the controller hands each lock its key list (core lockList); with the hub
// and the server both unreachable the lock still decides a key from that list alone — validity and
// schedule windows included; it locks again by itself, reports jammed and ajar; its queued events
// reach the controller's journal exactly once when the hub is back, even when an acknowledgement is
// lost; and a low_battery alarm with the predicted days left goes out well before the lock dies.
import { afterEach, describe, expect, it } from 'vitest';
import { predictDaysLeft } from '../../src/controller/locks/battery.ts';
import { LockBridge } from '../../src/controller/locks/bridge.ts';
import { SimHub, SimLock } from '../../src/controller/locks/sim-lock.ts';
import { TimeZone } from '../../src/core/time/zone.ts';
import { CREDENTIAL_KEY, type OfflineAgent, offlineAgent } from '../support/agent.ts';
import { at, site } from '../support/sites.ts';

const DAY = 86_400_000;
const T0 = at('2026-01-05T10:00'); // a Monday, inside the key's window

function lockSite() {
  return site({
    areas: [{ id: 'flat' }],
    doors: [{ id: 'FLAT', from: 'outside', to: 'flat' }],
    schedules: [{ id: 'stay', weekly: { mon: ['09:00-18:00'], tue: ['09:00-18:00'] } }],
    levels: [
      { id: 'owner', doors: ['FLAT'] },
      { id: '~key/k1', doors: ['FLAT'], schedule: 'stay' },
    ],
    people: [
      { id: 'owner', levels: ['owner'], credentials: [{ type: 'card', id: 'OWNER-1' }] },
      {
        id: 'guest:g1',
        credentials: [
          {
            type: 'key',
            id: 'MK1-guest',
            levels: ['~key/k1'],
            validFrom: '2026-01-05T00:00',
            validUntil: '2026-01-07T00:00',
          },
        ],
      },
    ],
  });
}

describe('battery locks behind a hub', () => {
  let a: OfflineAgent;
  let bridge: LockBridge;
  afterEach(async () => {
    // A test that sets nothing up must not close the previous test's agent a second time.
    const [closingBridge, closingAgent] = [bridge, a];
    bridge = undefined as unknown as LockBridge;
    a = undefined as unknown as OfflineAgent;
    await closingBridge?.stop();
    await closingAgent?.close();
  });

  function setUp(battery = 100, drainPerDay = 0.2) {
    a = offlineAgent(lockSite(), { now: T0 });
    const now = () => a.clock.now;
    const lock = new SimLock({
      id: 'L1',
      door: 'FLAT',
      credentialKey: CREDENTIAL_KEY,
      zone: new TimeZone('Asia/Tokyo'),
      now,
      autoLockMs: 5_000,
      ajarAfterMs: 30_000,
      battery,
      drainPerDay,
    });
    const hub = new SimHub([lock]);
    bridge = new LockBridge({ hub, dataDir: a.dir, now, pollMs: 60_000 });
    return { lock, hub };
  }

  const fromLock = () =>
    a.journaled().filter((e) => String(e.detail.via ?? e.detail.device ?? '').includes('L1'));

  it('decides a key from its own list with hub and server away, and reports each event once', async () => {
    const { lock, hub } = setUp();
    await bridge.start(a.agent);
    await bridge.sync();
    expect(lock.status().keyListVersion).toBe(1);

    hub.stop(); // the server was never there: the lock is on its own now
    expect(lock.present('key', 'MK1-guest')).toBe('grant');
    expect(lock.status().state).toBe('unlocked');
    a.clock.now += 5_000;
    expect(lock.status().state).toBe('locked'); // auto-lock
    expect(lock.present('key', 'MK1-nobody')).toBe('deny');
    expect(lock.present('card', 'OWNER-1')).toBe('grant');
    a.clock.now = at('2026-01-05T19:00'); // outside the key's window
    expect(lock.present('key', 'MK1-guest')).toBe('deny');
    a.clock.now = at('2026-01-07T10:00'); // past its dates
    expect(lock.present('key', 'MK1-guest')).toBe('deny');
    lock.jam(true);
    expect(lock.present('card', 'OWNER-1')).toBe('deny');
    lock.jam(false);
    lock.doorOpen(true);
    a.clock.now += 31_000;
    lock.tick();
    await bridge.sync(); // hub away: nothing taken, nothing lost
    expect(fromLock()).toHaveLength(0);

    hub.start();
    hub.loseNextAck = true;
    await bridge.sync(); // journaled, but the lock never heard it was
    expect(lock.queued).toBeGreaterThan(0);
    await bridge.sync(); // handed over again: not journaled twice
    expect(lock.queued).toBe(0);
    const events = fromLock();
    const access = events.filter((e) => e.type === 'access');
    expect(access.map((e) => [e.detail.result, e.detail.reason])).toEqual([
      ['grant', 'granted'],
      ['deny', 'unknown_credential'],
      ['grant', 'granted'],
      ['deny', 'outside_schedule'],
      ['deny', 'outside_validity'],
      ['deny', 'door_locked'],
    ]);
    const states = events.filter((e) => e.type === 'device').map((e) => e.detail.state);
    expect(states).toEqual(expect.arrayContaining(['unlocked', 'locked', 'jammed', 'ajar']));
    // The key is named by its hash, as the server resolves it to the key (never the secret).
    expect(JSON.stringify(events)).not.toContain('MK1-guest');
  });

  it('raises low_battery with the days left well before the lock dies', async () => {
    const { lock } = setUp(60, 1.5); // dies in 40 days
    await bridge.start(a.agent);
    let alarmDay: number | undefined;
    let deathDay: number | undefined;
    let detail = '';
    for (let day = 1; day <= 60 && deathDay === undefined; day++) {
      a.clock.now = T0 + day * DAY;
      await bridge.sync();
      const alarm = a.journaled().find((e) => e.type === 'alarm' && e.detail.alarm === 'low_battery');
      if (alarm && alarmDay === undefined) {
        alarmDay = day;
        detail = String(alarm.detail.detail);
      }
      if (!lock.status().alive) deathDay = day;
    }
    expect(alarmDay).toBeDefined();
    expect(deathDay).toBeDefined();
    expect(deathDay! - alarmDay!).toBeGreaterThanOrEqual(25);
    expect(detail).toMatch(/battery \d+%, about (29|30) days left/);
    expect(a.journaled().filter((e) => e.type === 'alarm' && e.detail.alarm === 'low_battery')).toHaveLength(
      1,
    );
    expect(lock.present('card', 'OWNER-1')).toBe('deny'); // dead
  });

  it('predicts days left from a line through the readings', () => {
    expect(predictDaysLeft([{ at: 0, level: 50 }])).toBe(Number.POSITIVE_INFINITY);
    expect(
      predictDaysLeft([
        { at: 0, level: 50 },
        { at: DAY, level: 50 },
      ]),
    ).toBe(Number.POSITIVE_INFINITY);
    expect(
      predictDaysLeft([
        { at: 0, level: 50 },
        { at: DAY, level: 48 },
        { at: 2 * DAY, level: 46 },
      ]),
    ).toBeCloseTo(23);
  });
});
