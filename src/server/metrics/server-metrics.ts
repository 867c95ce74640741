// The management server's Prometheus metrics (prom-client), in a registry of its own (two servers in
// one process, as in tests, do not mix their figures). What happens is counted as it happens, told by
// the controller link (LinkObserver), the alarm service (AlarmListener) and an HTTP hook; what is, is
// read at scrape time (the fleet's link states and snapshots, open alarms), so a gauge is never stale.
//
// Label values come from closed sets or are checked against a small alphabet with a cap on how many
// distinct ones are kept: nothing a controller or client sends can blow up the number of series.

import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';
import { DENY_REASONS } from '../../core/reasons.ts';
import type { AlarmListener } from '../alarms/service.ts';
import type { SecurityDb } from '../auth/context.ts';
import type { FleetEntry, LinkObserver } from '../controllers/link.ts';

const REASONS: ReadonlySet<string> = new Set([...DENY_REASONS, 'granted']);

/** Keeps at most `max` distinct values of a label; the rest count as `other`. */
function boundedLabel(max: number): (value: unknown) => string {
  const seen = new Set<string>();
  return (value) => {
    const text = typeof value === 'string' ? value : '';
    if (!/^[a-z][a-z0-9_-]{0,39}$/.test(text)) return 'other';
    if (seen.has(text)) return text;
    if (seen.size >= max) return 'other';
    seen.add(text);
    return text;
  };
}

export interface ServerMetricsOptions {
  now: () => number;
  /** process metrics (CPU, memory, event loop, GC); default true */
  processMetrics?: boolean;
  /** for the alarms gauge */
  db?: SecurityDb;
}

export class ServerMetrics {
  readonly registry = new Registry();
  private fleet: () => readonly FleetEntry[] = () => [];
  private readonly heard = new Map<string, { journalPending: number; clockOffsetMs: number }>();
  private readonly eventType = boundedLabel(32);
  private readonly messageKind = boundedLabel(32);
  private readonly rejectReason = boundedLabel(32);

  private readonly decisions = new Counter({
    name: 'monban_decisions_total',
    help: 'access decisions reported by controllers (stored once each), by result and reason',
    labelNames: ['result', 'reason'] as const,
    registers: [this.registry],
  });
  private readonly ingestedEvents = new Counter({
    name: 'monban_events_ingested_total',
    help: 'controller events stored for the first time, by type',
    labelNames: ['type'] as const,
    registers: [this.registry],
  });
  private readonly ingestLag = new Histogram({
    name: 'monban_ingest_lag_seconds',
    help: 'from an event at the controller to its storage at the server (offline backlogs show here)',
    buckets: [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 3600, 86_400],
    registers: [this.registry],
  });
  private readonly mqttPublish = new Histogram({
    name: 'monban_mqtt_publish_seconds',
    help: 'server to broker: a signed message until the broker acknowledged it (QoS 1), by kind and outcome',
    labelNames: ['kind', 'outcome'] as const,
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    registers: [this.registry],
  });
  private readonly mqttReceived = new Counter({
    name: 'monban_mqtt_messages_received_total',
    help: 'verified messages from controllers, by kind',
    labelNames: ['kind'] as const,
    registers: [this.registry],
  });
  private readonly mqttRejected = new Counter({
    name: 'monban_mqtt_messages_rejected_total',
    help: 'controller messages refused (forged, replayed, malformed, not stored), by reason',
    labelNames: ['reason'] as const,
    registers: [this.registry],
  });
  private readonly http = new Histogram({
    name: 'monban_http_request_duration_seconds',
    help: 'management API requests, by method, route template and status code',
    labelNames: ['method', 'route', 'status'] as const,
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [this.registry],
  });
  private readonly loginFailures = new Counter({
    name: 'monban_login_failures_total',
    help: 'failed operator logins (any factor, known user or not)',
    registers: [this.registry],
  });
  private readonly alarmsRaised = new Counter({
    name: 'monban_alarms_raised_total',
    help: 'alarms raised (repeats counted on an active alarm not included), by type and severity',
    labelNames: ['type', 'severity'] as const,
    registers: [this.registry],
  });

  constructor(private readonly options: ServerMetricsOptions) {
    if (options.processMetrics ?? true) collectDefaultMetrics({ register: this.registry, prefix: 'monban_' });
    const self = this;
    new Gauge({
      name: 'monban_controllers',
      help: 'enrolled controllers by link state as this server sees it (up, lost, unknown: not heard since start)',
      labelNames: ['state'] as const,
      registers: [this.registry],
      collect() {
        const counts = { up: 0, lost: 0, unknown: 0 };
        for (const c of self.fleet()) counts[c.link]++;
        for (const [state, n] of Object.entries(counts)) this.set({ state }, n);
      },
    });
    new Gauge({
      name: 'monban_controllers_online',
      help: 'enrolled controllers whose link is up',
      registers: [this.registry],
      collect() {
        this.set(self.fleet().filter((c) => c.link === 'up').length);
      },
    });
    new Gauge({
      name: 'monban_controller_snapshot_age_seconds',
      help: 'age of the policy snapshot made for each controller (since its building started)',
      labelNames: ['controller'] as const,
      registers: [this.registry],
      collect() {
        this.reset();
        const now = self.options.now();
        for (const c of self.fleet())
          if (c.snapshotIssuedAt > 0)
            this.set({ controller: c.controllerId }, (now - c.snapshotIssuedAt) / 1000);
      },
    });
    new Gauge({
      name: 'monban_controller_snapshot_behind',
      help: '1 when a controller says it holds an older snapshot than the one made for it',
      labelNames: ['controller'] as const,
      registers: [this.registry],
      collect() {
        this.reset();
        for (const c of self.fleet())
          this.set({ controller: c.controllerId }, c.controllerHolds < c.snapshotVersion ? 1 : 0);
      },
    });
    new Gauge({
      name: 'monban_controller_journal_pending',
      help: 'events journaled at each controller and not yet acknowledged by the server (its last heartbeat)',
      labelNames: ['controller'] as const,
      registers: [this.registry],
      collect() {
        this.reset();
        for (const [controller, r] of self.heard) this.set({ controller }, r.journalPending);
      },
    });
    new Gauge({
      name: 'monban_controller_clock_offset_seconds',
      help: "each controller's clock minus the server's at its last heartbeat (includes transit time)",
      labelNames: ['controller'] as const,
      registers: [this.registry],
      collect() {
        this.reset();
        for (const [controller, r] of self.heard) this.set({ controller }, r.clockOffsetMs / 1000);
      },
    });
    if (options.db) {
      const db = options.db;
      new Gauge({
        name: 'monban_alarms_open',
        help: 'alarms not yet resolved, by state (active, acknowledged) and severity',
        labelNames: ['state', 'severity'] as const,
        registers: [this.registry],
        async collect() {
          this.reset();
          const rows = await db
            .selectFrom('alarms')
            .select(['state', 'severity', db.fn.countAll<number>().as('n')])
            .where('state', '!=', 'resolved')
            .groupBy(['state', 'severity'])
            .execute();
          for (const row of rows) this.set({ state: row.state, severity: row.severity }, Number(row.n));
        },
      });
    }
  }

  /** Where the fleet's state is read at scrape time (the controller link). */
  watchFleet(fleet: () => readonly FleetEntry[]): void {
    this.fleet = fleet;
  }

  /** What the controller link tells. */
  readonly link: LinkObserver = {
    ingested: (_controllerId, events, now) => {
      for (const e of events) {
        this.ingestedEvents.inc({ type: this.eventType(e.type) });
        this.ingestLag.observe(Math.max(0, (now - e.at) / 1000));
        if (e.type === 'access') {
          const result = e.detail.result === 'grant' ? 'grant' : 'deny';
          const reason =
            typeof e.detail.reason === 'string' && REASONS.has(e.detail.reason) ? e.detail.reason : 'other';
          this.decisions.inc({ result, reason });
        }
      }
    },
    published: (kind, seconds, ok) =>
      this.mqttPublish.observe({ kind: this.messageKind(kind), outcome: ok ? 'acked' : 'failed' }, seconds),
    received: (_controllerId, kind) => this.mqttReceived.inc({ kind: this.messageKind(kind) }),
    // `ingest failed: <message>` and the like: the reason is the part before any detail
    rejected: (reason) => this.mqttRejected.inc({ reason: this.rejectReason(reason.split(/[: ]/)[0]) }),
    heard: (controllerId, report) => this.heard.set(controllerId, report),
  };

  /** What the alarm service tells. */
  readonly alarms: AlarmListener = {
    raised: (alarm) => {
      if (alarm.occurrences === 1) this.alarmsRaised.inc({ type: alarm.type, severity: alarm.severity });
    },
    loginFailed: () => this.loginFailures.inc(),
  };

  /** One answered HTTP request; `route` is the route's template (`/api/people/:id`), not the URL. */
  httpResponded(method: string, route: string | undefined, status: number, seconds: number): void {
    this.http.observe({ method, route: route ?? 'unmatched', status: String(status) }, seconds);
  }

  /** The text exposition format. */
  scrape(): Promise<string> {
    return this.registry.metrics();
  }

  get contentType(): string {
    return this.registry.contentType;
  }
}
