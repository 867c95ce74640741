// A controller's Prometheus metrics (opt-in: `monban controller run --metrics-port N`): decisions by
// result and reason as they are journaled, and at scrape time the journal backlog, the age of the
// policy in force, the offline fallback and the link to the server. Label values are closed sets
// (the core's reasons, the alarm types), so nothing presented at a reader adds series.

import { Counter, collectDefaultMetrics, Gauge, Registry } from 'prom-client';
import type { CoreEvent } from '../core/events.ts';
import { ALARM_TYPES, DENY_REASONS } from '../core/reasons.ts';
import type { AgentHealth, DriverEvent } from './agent.ts';

const REASONS: ReadonlySet<string> = new Set([...DENY_REASONS, 'granted']);
const ALARMS: ReadonlySet<string> = new Set(ALARM_TYPES);

export class ControllerMetrics {
  readonly registry = new Registry();
  private health: () => AgentHealth | undefined = () => undefined;

  private readonly decisions = new Counter({
    name: 'monban_controller_decisions_total',
    help: 'access decisions at this controller, by result and reason',
    labelNames: ['result', 'reason'] as const,
    registers: [this.registry],
  });
  private readonly alarms = new Counter({
    name: 'monban_controller_alarms_total',
    help: 'alarms this controller raised, by type',
    labelNames: ['type'] as const,
    registers: [this.registry],
  });

  constructor(
    private readonly now: () => number = Date.now,
    options: { processMetrics?: boolean } = {},
  ) {
    if (options.processMetrics ?? true)
      collectDefaultMetrics({ register: this.registry, prefix: 'monban_controller_' });
    const self = this;
    const gauge = (name: string, help: string, value: (h: AgentHealth) => number) =>
      new Gauge({
        name,
        help,
        registers: [this.registry],
        collect() {
          const h = self.health();
          if (h) this.set(value(h));
        },
      });
    gauge(
      'monban_controller_journal_pending',
      'events journaled and not yet acknowledged by the server (the offline backlog)',
      (h) => h.journalPending,
    );
    gauge(
      'monban_controller_snapshot_age_seconds',
      'since the server last confirmed the policy snapshot in force (-1: no snapshot)',
      (h) => (h.confirmedAt === 0 ? -1 : (this.now() - h.confirmedAt) / 1000),
    );
    gauge(
      'monban_controller_snapshot_version',
      'the version of the policy snapshot in force',
      (h) => h.snapshotVersion,
    );
    gauge(
      'monban_controller_snapshot_transfer_missing_chunks',
      'chunks still missing of a snapshot transfer under way (0: none)',
      (h) => h.transferMissing,
    );
    gauge(
      'monban_controller_journal_blocked',
      '1 while the event journal cannot be written (a full disk): doors deny, events wait in memory',
      (h) => (h.journalBlocked ? 1 : 0),
    );
    gauge(
      'monban_controller_journal_held',
      'events waiting in memory for the journal to take writes again',
      (h) => h.journalHeld,
    );
    gauge('monban_controller_offline_fallback', '1 while the offline fallback is in force', (h) =>
      h.fallback ? 1 : 0,
    );
    gauge('monban_controller_broker_connected', '1 while connected to the MQTT broker', (h) =>
      h.brokerConnected ? 1 : 0,
    );
    new Gauge({
      name: 'monban_controller_server_link',
      help: 'the link to the server as heartbeats show it: 1 for the current state (up, lost, unknown)',
      labelNames: ['state'] as const,
      registers: [this.registry],
      collect() {
        const h = self.health();
        if (!h) return;
        for (const state of ['up', 'lost', 'unknown'] as const)
          this.set({ state }, h.serverLink === state ? 1 : 0);
      },
    });
  }

  /** Where the agent's state is read at scrape time. */
  watch(agent: { health(): AgentHealth }): void {
    this.health = () => agent.health();
  }

  /** The agent's onEvent hook. */
  readonly event = (event: CoreEvent | DriverEvent): void => {
    if (event.type === 'access')
      this.decisions.inc({
        result: event.result,
        reason: REASONS.has(event.reason) ? event.reason : 'other',
      });
    else if (event.type === 'alarm')
      this.alarms.inc({ type: ALARMS.has(event.alarm) ? event.alarm : 'other' });
  };

  scrape(): Promise<string> {
    return this.registry.metrics();
  }

  get contentType(): string {
    return this.registry.contentType;
  }
}
