import type { RunLiveness } from '../../../core/ports/index.ts';

/**
 * RunLiveness the test sets: a run is live from `start` until `finish`, as an execution is RUNNING.
 * @example const liveness = new FakeRunLiveness(['run-2']); liveness.finish('run-2');
 */
export class FakeRunLiveness implements RunLiveness {
  readonly #active: Set<string>;

  constructor(active: Iterable<string> = []) {
    this.#active = new Set(active);
  }

  start(runId: string): void {
    this.#active.add(runId);
  }

  finish(runId: string): void {
    this.#active.delete(runId);
  }

  async isActive(_jobId: string, runId: string): Promise<boolean> {
    return this.#active.has(runId);
  }
}
