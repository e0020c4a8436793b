/** Wall clock in epoch milliseconds; tests pass a controllable one. */
export interface Clock {
  now(): number;
}
export const systemClock: Clock = { now: () => Date.now() };

/**
 * Fault injection: called by name between two writes of every multi-write operation. A test or a chaos run
 * throws InjectedFaultError from it to simulate a crash at that point. Production passes nothing.
 */
export type FaultHook = (point: string) => void | Promise<void>;
export const noFaults: FaultHook = () => {};

export interface Page<T> {
  readonly items: T[];
  /** Opaque cursor for the next page; absent on the last one. */
  readonly next?: string;
}

export interface PageRequest {
  readonly limit?: number;
  readonly next?: string;
}
