import type { Clock } from '../../../core/ports/index.ts';

/** The instant every fake deployment starts at, as test/support/core-env.ts's TestClock. */
export const FAKE_EPOCH = Date.parse('2026-01-01T00:00:00Z');

/**
 * A clock the test moves by hand: leases expire and reservations lapse when the test says so, never while it
 * waits. The same shape as TestClock in test/support/core-env.ts, so a contract runs on either.
 * @example const clock = new FakeClock(); clock.advance(1001); // a lease of 1000 ms is now dead
 */
export class FakeClock implements Clock {
  #ms: number;

  constructor(ms = FAKE_EPOCH) {
    this.#ms = ms;
  }

  now(): number {
    return this.#ms;
  }

  advance(ms: number): void {
    this.#ms += ms;
  }
}
