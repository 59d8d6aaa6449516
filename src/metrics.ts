import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { PairingOutcome } from './pairing/service.ts';

/** One registry per relay instance (never prom-client's global), so tests can run several. */
export class Metrics {
  readonly registry = new Registry();
  private socketCounter: () => Record<string, number> = () => ({});

  readonly pairingOutcomes = new Counter({
    name: 'relay_pairing_outcomes_total',
    help: 'Pairing requests and claims by result',
    labelNames: ['result'] as const,
    registers: [this.registry],
  });

  readonly httpDuration = new Histogram({
    name: 'relay_http_request_duration_seconds',
    help: 'HTTP request latency by route',
    labelNames: ['method', 'route', 'status'] as const,
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    registers: [this.registry],
  });

  readonly slowConsumers = new Counter({
    name: 'relay_slow_consumers_disconnected_total',
    help: 'Sockets cut because the relay held more than SOCKET_MAX_BUFFER unsent for them, by namespace',
    labelNames: ['namespace'] as const,
    registers: [this.registry],
  });

  constructor() {
    const counter = () => this.socketCounter();
    new Gauge({
      name: 'relay_sockets',
      help: 'Connected Socket.IO clients on this instance by namespace',
      labelNames: ['namespace'] as const,
      registers: [this.registry],
      collect() {
        for (const [namespace, count] of Object.entries(counter())) this.set({ namespace }, count);
      },
    });
    collectDefaultMetrics({ register: this.registry });
  }

  countPairing = (outcome: PairingOutcome): void => {
    this.pairingOutcomes.inc({ result: outcome });
  };

  countSlowConsumer = (namespace: string): void => {
    this.slowConsumers.inc({ namespace });
  };

  /** The realtime layer says how to count its sockets once it exists. */
  countSocketsWith(counter: () => Record<string, number>): void {
    this.socketCounter = counter;
  }
}
