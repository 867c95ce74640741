// Simulated people moving through the day at the demo site's readers and doors: staff arriving
// through the turnstiles and into the office, IT admins opening the server room in pairs through the
// interlocked vestibule, My Number staff with card and PIN (now and then a wrong PIN), lab staff, a
// guest with a valid key and one whose key has expired, a tailgater who slips through behind someone
// and is then refused by the route check and anti-passback, and a meeting-room door left open.
// Each step is one call on a controller, as a reader or door contact would make it.

import { TAILGATER } from './site.ts';

export interface Doors {
  /** a credential at a reader; answers the decision's result and reason */
  present(door: string, side: 'in' | 'out', card: string, pin?: string): { result: string; reason: string };
  /** the door contact */
  sensor(door: string, open: boolean): void;
}

interface Walker {
  id: string;
  card: string;
  pin?: string;
  groups: string[];
  /** where the walker physically is */
  at: 'outside' | 'lobby' | 'office' | 'lab' | 'meeting' | 'mynumber' | 'server-room';
}

/** A small seeded random source, so a demo run is the same each time. */
function random(seed: number) {
  let s = seed >>> 0;
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

export class DemoDay {
  private readonly rand = random(12);
  private readonly walkers: Walker[];
  private step = 0;

  constructor(
    people: { id: string; card: string; pin?: string; groups: string[] }[],
    private readonly doors: Doors,
    private readonly wait: (ms: number) => Promise<void>,
  ) {
    this.walkers = people.map((p) => ({ ...p, at: 'outside' }));
  }

  private pick(filter: (w: Walker) => boolean): Walker | undefined {
    const list = this.walkers.filter(filter);
    return list[Math.floor(this.rand() * list.length)];
  }

  /** Through a door: present, and on a grant open and close it behind. */
  private async pass(w: Walker, door: string, side: 'in' | 'out', to: Walker['at'], pin?: string) {
    const decision = this.doors.present(door, side, w.card, pin);
    if (decision.result !== 'grant') return false;
    this.doors.sensor(door, true);
    await this.wait(800);
    this.doors.sensor(door, false);
    w.at = to;
    return true;
  }

  /** One scene of the day; call again and again. */
  async next(): Promise<void> {
    this.step++;
    const scene = this.step % 12;
    const gate = this.rand() < 0.5 ? 'gate-1' : 'gate-2';
    if (scene === 0) return this.tailgating(gate);
    if (scene === 5) return this.serverRoom();
    if (scene === 7) return this.myNumber();
    if (scene === 9) return this.guests(gate);
    if (scene === 11 && this.step % 48 === 11) return this.doorLeftOpen();
    const arriving = this.pick(
      (w) => w.at === 'outside' && !w.groups.includes('guests') && w.id !== TAILGATER,
    );
    const leaving = this.pick((w) => w.at === 'office' || w.at === 'lab');
    if (leaving && (this.rand() < 0.35 || !arriving)) {
      if (leaving.at === 'lab') await this.pass(leaving, 'lab-door', 'out', 'lobby');
      else await this.pass(leaving, 'office-door', 'out', 'lobby');
      await this.pass(leaving, gate, 'out', 'outside');
      return;
    }
    if (!arriving) return;
    if (!(await this.pass(arriving, gate, 'in', 'lobby'))) return;
    if (arriving.groups.includes('lab-staff') && this.rand() < 0.5)
      await this.pass(arriving, 'lab-door', 'in', 'lab');
    else await this.pass(arriving, 'office-door', 'in', 'office');
  }

  /** Someone goes in; the tailgater follows through the turnstile on the same grant. */
  private async tailgating(gate: string) {
    const tailgater = this.walkers.find((w) => w.id === TAILGATER)!;
    const host = this.pick((w) => w.at === 'outside' && w.id !== TAILGATER && !w.groups.includes('guests'));
    if (!host || tailgater.at !== 'outside') {
      // Caught out later: the system never saw the tailgater come in.
      if (tailgater.at === 'lobby') {
        this.doors.present('lab-door', 'in', tailgater.card); // route check: not in the lobby as far as it knows
        await this.wait(1500);
        this.doors.present(gate, 'out', tailgater.card); // anti-passback: cannot leave what it never entered
        tailgater.at = 'outside'; // a guard lets them out
      }
      return;
    }
    await this.pass(host, gate, 'in', 'lobby');
    tailgater.at = 'lobby';
  }

  /** Two IT admins: the outer door, then both present at the inner door within the time. */
  private async serverRoom() {
    const admins = this.walkers
      .filter((w) => w.groups.includes('it-admins') && w.at === 'office')
      .slice(0, 2);
    if (admins.length < 2) {
      const one = this.walkers.find((w) => w.groups.includes('it-admins') && w.at === 'office');
      if (one) this.doors.present('sr-inner', 'in', one.card); // alone: waits for a second person, refused
      return;
    }
    const [a, b] = admins as [Walker, Walker];
    await this.pass(a, 'sr-outer', 'in', 'office');
    await this.pass(b, 'sr-outer', 'in', 'office');
    this.doors.present('sr-inner', 'in', a.card);
    await this.wait(2000);
    if (await this.pass(b, 'sr-inner', 'in', 'server-room')) a.at = 'server-room';
    await this.wait(4000);
    for (const w of [a, b]) {
      await this.pass(w, 'sr-inner', 'out', 'office');
      await this.pass(w, 'sr-outer', 'out', 'office');
    }
  }

  /** Card and PIN at the My Number room; one time in five, a mistyped PIN first. */
  private async myNumber() {
    const w = this.pick((x) => x.groups.includes('mynumber-staff') && x.at === 'office');
    if (!w?.pin) return;
    if (this.rand() < 0.2) this.doors.present('mynumber-door', 'in', w.card, '0000');
    if (await this.pass(w, 'mynumber-door', 'in', 'mynumber', w.pin)) {
      await this.wait(3000);
      await this.pass(w, 'mynumber-door', 'out', 'office');
    }
  }

  /** The guest with a valid key visits the meeting room; the expired one is refused at the gate. */
  private async guests(gate: string) {
    const [valid, expired] = this.walkers.filter((w) => w.groups.includes('guests'));
    if (expired) this.doors.present(gate, 'in', expired.card);
    if (!valid) return;
    if (valid.at === 'outside') {
      if (await this.pass(valid, gate, 'in', 'lobby'))
        await this.pass(valid, 'meeting-door', 'in', 'meeting');
    } else if (valid.at === 'meeting') {
      await this.pass(valid, 'meeting-door', 'out', 'lobby');
      await this.pass(valid, gate, 'out', 'outside');
    }
  }

  /** The meeting-room door is propped open: held-open alarm after its 20 seconds. */
  private async doorLeftOpen() {
    this.doors.sensor('meeting-door', true);
    await this.wait(25_000);
    this.doors.sensor('meeting-door', false);
  }
}
