import { InjectedFaultError } from '../../../core/errors.ts';
import type { FaultHook } from '../../../core/ports/index.ts';

/**
 * A fault hook that throws InjectedFaultError at the named point (once, or on its nth passage) and records every
 * point passed: a simulated crash between two writes.
 * @example const faults = new FaultSwitch(); faults.crashAt('plan.afterCut'); fakeDeps({ faults: faults.hook })
 */
export class FaultSwitch {
  readonly seen: string[] = [];
  #target?: { point: string; remaining: number };

  readonly hook: FaultHook = (point) => {
    this.seen.push(point);
    if (this.#target?.point === point && --this.#target.remaining === 0) {
      this.#target = undefined;
      throw new InjectedFaultError({ point });
    }
  };

  crashAt(point: string, nth = 1): void {
    this.#target = { point, remaining: nth };
  }

  get armed(): boolean {
    return this.#target !== undefined;
  }
}
