/**
 * Events a test waits on instead of a sleep: it forces an interleaving (workers held at a gate until the test
 * lets them go) and learns when something has happened (so many workers arrived, so many commits passed).
 * Nothing here measures time: a wait that never comes ends with the test's timeout.
 * It imports nothing from vitest, so host processes of the e2e fixtures can use it too.
 */

/** Counts arrivals; `reached(n)` resolves once there were n of them. */
export class Arrivals {
  #count = 0;
  readonly #waiting: { n: number; resolve: () => void }[] = [];

  get count(): number {
    return this.#count;
  }

  add(): void {
    this.#count += 1;
    for (const w of this.#waiting.filter((x) => x.n <= this.#count)) {
      this.#waiting.splice(this.#waiting.indexOf(w), 1);
      w.resolve();
    }
  }

  reached(n: number): Promise<void> {
    if (this.#count >= n) return Promise.resolve();
    return new Promise((resolve) => this.#waiting.push({ n, resolve }));
  }
}

/**
 * A latch: whoever calls `pass()` waits there until the test calls `open()`; once open, everyone passes at once.
 * @example const gate = new Gate(); ...start two workers that call gate.pass()...; await gate.arrived(2); gate.open();
 */
export class Gate {
  readonly #arrivals = new Arrivals();
  #isOpen = false;
  #release: () => void = () => {};
  readonly #released = new Promise<void>((resolve) => {
    this.#release = resolve;
  });

  /** An open gate: everyone passes without waiting, and is counted. */
  static opened(): Gate {
    const gate = new Gate();
    gate.open();
    return gate;
  }

  /** Arrive, and wait until the gate is open. */
  async pass(): Promise<void> {
    this.#arrivals.add();
    if (!this.#isOpen) await this.#released;
  }

  /** Resolves once `n` callers arrived (whether or not they passed yet). */
  arrived(n = 1): Promise<void> {
    return this.#arrivals.reached(n);
  }

  get arrivals(): number {
    return this.#arrivals.count;
  }

  open(): void {
    this.#isOpen = true;
    this.#release();
  }
}

/** A barrier of `n`: each of the first `n` callers waits until all of them arrived; later ones pass. */
export function barrier(n: number): () => Promise<void> {
  const gate = new Gate();
  void gate.arrived(n).then(() => gate.open());
  return () => gate.pass();
}
