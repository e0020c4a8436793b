import type { EventBus, JobEvent } from '../../../core/ports/index.ts';

/** An EventBus that keeps what it was sent, and fails the next `failNext` publishes (as a throttled bus would). */
export class FakeEventBus implements EventBus {
  readonly sent: JobEvent[] = [];
  failNext = 0;

  async publish(events: readonly JobEvent[]): Promise<void> {
    if (this.failNext > 0) {
      this.failNext--;
      throw new Error('the bus is unavailable');
    }
    this.sent.push(...events.map((e) => structuredClone(e)));
  }
}
