import type { Clock } from '../../../core/ports/index.ts';

/** The instant every test clock starts at. */
export const FAKE_EPOCH = Date.parse('2026-01-01T00:00:00Z');

/**
 * A clock the test moves by hand: leases expire and reservations lapse when the test says so, never while it
 * waits. test/support/core-env.ts hands the same clock (as TestClock) to the tests on DynamoDB Local.
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
