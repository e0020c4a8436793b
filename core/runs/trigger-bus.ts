import type { Deps } from '../deps.ts';
import type { EventBus, JobEvent, RunStarter } from '../ports/index.ts';
import { reconcileTriggers, type TriggerOutcome, triggerOnEvents } from './triggers.ts';

/**
 * The bus of a deployment with no EventBridge (the local mode): what is published starts the triggered runs
 * in this process, as the TriggerRuns function does on AWS from the bus's rule. Publishing returns at once; a
 * trigger that fails is logged and left to the next event or the periodic reconcile (`reconcileEvery`).
 */
export class TriggerBus implements EventBus {
  #deps: (Deps & { starter: RunStarter }) | undefined;
  #running = new Set<Promise<unknown>>();
  #timer: ReturnType<typeof setInterval> | undefined;
  readonly #log: (msg: string, data: Record<string, unknown>) => void;

  constructor(log: (msg: string, data: Record<string, unknown>) => void = () => {}) {
    this.#log = log;
  }

  /** The deps triggers read with (they include this bus: set once they are made). */
  bind(deps: Deps & { starter: RunStarter }): void {
    this.#deps = deps;
  }

  async publish(events: readonly JobEvent[]): Promise<void> {
    const deps = this.#deps;
    if (!deps) return;
    this.#track(triggerOnEvents(deps, events));
  }

  /** Reconcile every `ms` (unref'd: it never keeps the process alive), until close. */
  reconcileEvery(ms: number): void {
    this.#timer = setInterval(() => {
      const deps = this.#deps;
      // One reconcile at a time: a slow one is not stacked on.
      if (deps && this.#running.size === 0) this.#track(reconcileTriggers(deps));
    }, ms);
    this.#timer.unref?.();
  }

  /** Wait for the triggers in flight (tests, and a clean stop). */
  async settled(): Promise<void> {
    while (this.#running.size > 0) await Promise.allSettled([...this.#running]);
  }

  async close(): Promise<void> {
    if (this.#timer) clearInterval(this.#timer);
    await this.settled();
  }

  #track(p: Promise<TriggerOutcome[]>): void {
    const tracked = p
      .then((outcomes) => {
        for (const o of outcomes) if (o.outcome === 'started') this.#log('triggered run started', { ...o });
      })
      .catch((e: unknown) =>
        this.#log('trigger failed', { error: e instanceof Error ? e.message : String(e) }),
      )
      .finally(() => this.#running.delete(tracked));
    this.#running.add(tracked);
  }
}
