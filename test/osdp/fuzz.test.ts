// A short fuzz run inside the suite (the long one is scripts/osdp-fuzz.ts): 20,000 random and
// mutated frames — a third re-framed with valid check characters so they reach the sequence, MAC
// and payload logic — through the decoder into a keyed PD that regularly holds a live session.
import { describe, expect, it } from 'vitest';
import { FuzzTarget, newFuzzStats, xorshift } from '../../src/osdp/fuzz.ts';

describe('OSDP fuzzing (short run)', () => {
  it('feeds 20,000 frames to a PD without an exception or unbounded buffering', () => {
    const stats = newFuzzStats();
    const target = new FuzzTarget(xorshift(2026), stats);
    expect(() => target.run(20_000)).not.toThrow();
    expect(stats.frames).toBe(20_000);
    // The run must actually reach the PD, and through live sessions.
    expect(stats.decoded).toBeGreaterThan(5_000);
    expect(stats.replies).toBeGreaterThan(1_000);
    expect(stats.sessions).toBe(200);
    expect(stats.maxPending).toBeLessThanOrEqual(1440);
  });

  it('keeps the PD usable afterwards: a fresh session still opens', () => {
    const target = new FuzzTarget(xorshift(7));
    target.run(3_000);
    expect(target.handshake()).toBe(true);
    expect(target.pd.secure).toBe(true);
  });
});
