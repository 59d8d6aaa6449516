import { EventEmitter } from 'node:events';
import type { PubSub, Unsubscribe } from './types.ts';

/** In-process pub/sub for the single-node stores; Redis replaces it across instances. */
export class LocalPubSub implements PubSub {
  private readonly emitter = new EventEmitter();

  constructor() {
    // Every open SSE stream may subscribe; the count is bounded by sessions, not a leak.
    this.emitter.setMaxListeners(0);
  }

  async publish(channel: string, message: string): Promise<void> {
    // Deliver on a later turn, as a network bus would, so callers never depend on sync delivery.
    queueMicrotask(() => this.emitter.emit(channel, message));
  }

  async subscribe(channel: string, handler: (message: string) => void): Promise<Unsubscribe> {
    this.emitter.on(channel, handler);
    return () => this.emitter.off(channel, handler);
  }

  listenerCount(): number {
    return this.emitter.eventNames().reduce((n, name) => n + this.emitter.listenerCount(name), 0);
  }
}
