// The one composition root of the management server. `monban serve` (serve.ts) and the tests (the
// API test support, the security harness, the controller link tests) all put the server together
// here, so what is tested is what runs:
//
//   storage ──► service layer ──► domain bus ──► audit (+ ID-change alarms)
//                                      ├──────► snapshot publisher  ┐ controller link
//                                      └──────► revocation fan-out  ┘ (broker, coordinators, ingest,
//                                                                      presence)
//   HTTP app: security plugin (auth, CSRF, audit of every request) + the route table (every route,
//             /api/auth sign-in included), whose writes go to the service layer; the security
//             services (sessions, audit, alarms, the login limit, single sign-on) made once here.
//   alarms:   the alarm service tells metrics, notices, webhooks and the push stream (live/alarms.ts,
//             relayed to the other instances of a cluster) of every change.
//   metrics:  told by the controller link, the alarm service and an HTTP hook (metrics/); `monban
//             serve` exposes them on a listener of its own.
//
// The caller opens the store and closes it after `close()`; `start()` starts the controller link.
// `composeSiteData` is the part without HTTP and controllers, for a command that writes while no
// server runs (`monban import`): the same services, events and audit.

import type { FastifyBaseLogger, FastifyInstance, FastifyRequest } from 'fastify';
import { AlarmService, type AlarmSettings } from './alarms/service.ts';
import { auditDomainEvents } from './audit/domain-audit.ts';
import {
  type Clock,
  resolveSettings,
  type SettingsOverrides,
  securityDb,
  systemClock,
} from './auth/context.ts';
import { createSecurityServices, registerManagementSecurity } from './auth/index.ts';
import type { OidcSettings } from './auth/oidc-config.ts';
import { ControllerLink, type ControllerSettings } from './controllers/link.ts';
import { DomainBus } from './domain/bus.ts';
import { buildApp } from './http/app.ts';
import type { Principal } from './http/principal.ts';
import { keyPageRoutes } from './keys/page.ts';
import { type KeyWiring, wireKeys } from './keys/wiring.ts';
import { registerLifecycle } from './lifecycle/index.ts';
import type { Lifecycle } from './lifecycle/service.ts';
import { liveAlarms } from './live/alarms.ts';
import { LiveHub } from './live/hub.ts';
import { ServerMetrics } from './metrics/server-metrics.ts';
import { mobilePageRoutes } from './mobile/page.ts';
import { wireMobile } from './mobile/wiring.ts';
import { AlarmNotifications, type NotifySettings } from './notify/dispatcher.ts';
import { OperationsService } from './operations/service.ts';
import { registerDirectory } from './scim/index.ts';
import { createServices, type Services } from './services/index.ts';
import { chainKeys } from './storage/chain.ts';
import type { Store } from './storage/db.ts';
import { DEFAULT_SITE } from './storage/sites.ts';
import type { DispatchSettings } from './webhooks/dispatcher.ts';
import { type WebhookWiring, wireWebhooks } from './webhooks/wiring.ts';

export interface ComposeOptions {
  store: Store;
  installationKey: Uint8Array;
  logger: FastifyBaseLogger;
  clock?: Clock;
  /** serve HTTPS with this certificate (also the embedded broker's) */
  https?: { key: string | Buffer; cert: string | Buffer } | undefined;
  bodyLimit?: number;
  /** the OpenAPI document at /api/docs (default true) */
  docs?: boolean;
  security?: {
    settings?: SettingsOverrides;
    alarmSettings?: Partial<AlarmSettings>;
    /** CIDRs allowed to reach the management server; empty = everyone */
    allowList?: readonly string[];
    /** clock-jump watch and session cleanup (off in tests) */
    background?: boolean;
    /** the append-only file of signed chain checkpoints (audit/anchors.ts) */
    anchorFile?: string;
    /** OpenID Connect single sign-on for operators (auth/oidc-config.ts); undefined: off */
    oidc?: OidcSettings | undefined;
  };
  /** the controller link; false: none */
  controllers?: false | Partial<ControllerSettings>;
  /** tests: who is calling when no credential the security plugin knows says so */
  authenticate?: (request: FastifyRequest) => Principal | undefined;
  /** webhook delivery timing (retries) */
  webhooks?: Partial<DispatchSettings>;
  /** more routes, registered after the security plugin (`monban serve`: the web console; tests) */
  routes?: (app: FastifyInstance) => Promise<void>;
  /** Prometheus metrics (metrics/): process metrics too (`monban serve`; default false) */
  metrics?: { processMetrics?: boolean };
  /** alarm notifications (notify/): channels, threshold, escalation; none: no notices */
  notify?: NotifySettings | undefined;
}

export interface ComposedServer {
  app: FastifyInstance;
  store: Store;
  bus: DomainBus;
  services: Services;
  alarms: AlarmService;
  /** live state and the push stream's fan-out */
  live: LiveHub;
  controllers: ControllerLink | undefined;
  /** time-limited keys: the use log, revocation by command, the sweep of what is over */
  keys: KeyWiring;
  /** webhooks: the outbox fed by every source, and its dispatcher */
  webhooks: WebhookWiring;
  /** door and area actions */
  operations: OperationsService;
  /** what `GET /metrics` shows (metrics/listener.ts serves it) */
  metrics: ServerMetrics;
  /** alarm notices by e-mail and other channels, when configured (started by start()) */
  notifications: AlarmNotifications | undefined;
  /** retention, purge, export and erasure of personal data */
  lifecycle: Lifecycle;
  /** starts the controller link (broker, hub, snapshots) */
  start(): Promise<void>;
  /** stops the app and the link; the store stays open */
  close(): Promise<void>;
}

export interface SiteData {
  bus: DomainBus;
  services: Services;
  alarms: AlarmService;
  /** stops the audit subscription */
  close(): void;
}

/** Storage, the service layer, the domain bus and audit (with the ID-change alarms). */
export function composeSiteData(options: {
  store: Store;
  installationKey: Uint8Array;
  logger: FastifyBaseLogger;
  clock?: Clock;
  settings?: SettingsOverrides;
  alarmSettings?: Partial<AlarmSettings>;
}): SiteData {
  const { store, installationKey, logger } = options;
  const clock = options.clock ?? systemClock;
  const bus = new DomainBus(logger, clock.now);
  const services = createServices({ store, installationKey, bus, clock });
  const alarms = new AlarmService(securityDb(store.db), logger, clock, {
    failedLoginBurst: resolveSettings(options.settings).failedLoginBurst,
    ...options.alarmSettings,
  });
  return {
    bus,
    services,
    alarms,
    close: auditDomainEvents(bus, store, alarms, chainKeys(installationKey).audit),
  };
}

export async function composeServer(options: ComposeOptions): Promise<ComposedServer> {
  const { store, installationKey, logger } = options;
  const clock = options.clock ?? systemClock;
  const security = options.security ?? {};
  const {
    bus,
    services,
    alarms,
    close: unsubscribeAudit,
  } = composeSiteData({
    store,
    installationKey,
    logger,
    clock,
    ...(security.settings && { settings: security.settings }),
    ...(security.alarmSettings && { alarmSettings: security.alarmSettings }),
  });
  const webhooks = wireWebhooks({
    service: services.webhooks,
    bus,
    alarms,
    logger,
    clock,
    ...(options.webhooks && { settings: options.webhooks }),
  });
  const keys = wireKeys({
    store,
    bus,
    keys: services.keys,
    logger,
    notify: (notice) => webhooks.keyUse(notice),
    onSweep: async () => {
      await services.reservations.endOver();
    },
  });
  const metrics = new ServerMetrics({
    now: () => clock.now(),
    processMetrics: options.metrics?.processMetrics ?? false,
    db: securityDb(store.db),
  });
  const unlistenAlarms = alarms.listen(metrics.alarms);
  const notifications =
    options.notify && options.notify.notifiers.length > 0
      ? new AlarmNotifications(securityDb(store.db), logger, clock, options.notify)
      : undefined;
  const unlistenNotify = notifications ? alarms.listen(notifications.listener) : () => {};
  const live = new LiveHub();
  const controllers =
    options.controllers === false
      ? undefined
      : new ControllerLink({
          live,
          // The live hub hears of new events from the link itself, right after their commit.
          onEvents: (controllerId, events) => keys.uses.record(controllerId, events),
          inEventBatch: (tx, controllerId, events) => webhooks.controllerEvents(tx, controllerId, events),
          onLink: (controllerId, state, at) => webhooks.link(controllerId, state, at),
          store,
          installationKey,
          logger,
          alarms,
          bus,
          tls: options.https && { cert: String(options.https.cert), key: String(options.https.key) },
          settings: options.controllers ?? {},
          now: () => clock.now(),
          observer: metrics.link,
        });
  // Every alarm change onto the push stream, and to the other instances of a cluster.
  const unlistenLive = alarms.listen(
    liveAlarms({
      hub: live,
      now: () => clock.now(),
      relay: (body) => controllers?.relay('alarm', body) ?? Promise.resolve(),
    }),
  );
  keys.attach(controllers);
  const operations = new OperationsService({
    store,
    installationKey,
    services,
    link: controllers,
    clock,
    defaultSite: controllers?.settings.site ?? DEFAULT_SITE,
  });
  const unwireMobile = wireMobile({
    bus,
    mobile: services.mobile,
    alarms,
    operations,
    live,
    webhooks,
    db: store.db,
  });
  if (controllers) metrics.watchFleet(() => controllers.fleet());
  // One set for the whole server: the login limit and the single sign-on client included.
  const securityServices = createSecurityServices({
    db: store.db,
    logger,
    clock,
    installationKey,
    alarms,
    ...(security.settings && { settings: security.settings }),
    ...(security.anchorFile && { anchorFile: security.anchorFile }),
    ...(security.oidc && { oidc: security.oidc }),
  });
  let app: FastifyInstance;
  let lifecycle: Lifecycle | undefined;
  try {
    app = await buildApp({
      store,
      installationKey,
      services,
      operations,
      live: { hub: live, link: controllers, defaultSite: controllers?.settings.site ?? DEFAULT_SITE },
      controllers,
      logger,
      clock,
      ...(options.https && { https: options.https }),
      ...(options.bodyLimit !== undefined && { bodyLimit: options.bodyLimit }),
      ...(options.docs !== undefined && { docs: options.docs }),
      ...(options.authenticate && { authenticate: options.authenticate }),
      plugins: async (instance) => {
        // First, so every route has it: latency by route template, whatever the security plugin answers.
        instance.addHook('onResponse', async (request, reply) => {
          metrics.httpResponded(
            request.method,
            request.routeOptions.url,
            reply.statusCode,
            reply.elapsedTime / 1000,
          );
        });
        await registerManagementSecurity(instance, {
          services: securityServices,
          ...(security.allowList && { allowList: security.allowList }),
          background: security.background ?? false,
        });
        await keyPageRoutes(instance);
        await mobilePageRoutes(instance);
        // SCIM provisioning (issue 15 §4), through the same service layer as the API.
        await registerDirectory(instance, { store, installationKey, bus, clock });
        // Retention, purge, a person's export and erasure (issue 15 §2).
        lifecycle = registerLifecycle(instance, { store, installationKey, bus, clock });
        await options.routes?.(instance);
      },
    });
  } catch (error) {
    unwireMobile();
    keys.stop();
    await webhooks.stop();
    operations.close();
    unsubscribeAudit();
    unlistenAlarms();
    unlistenLive();
    unlistenNotify();
    await notifications?.stop();
    throw error;
  }
  let closed = false;
  return {
    app,
    store,
    bus,
    services,
    alarms,
    live,
    controllers,
    keys,
    webhooks,
    operations,
    metrics,
    notifications,
    lifecycle: lifecycle!,
    start: async () => {
      await controllers?.start();
      notifications?.start();
      keys.start();
      webhooks.start();
    },
    async close() {
      if (closed) return;
      closed = true;
      unwireMobile();
      keys.stop();
      await webhooks.stop();
      live.closeAll(); // open push streams would hold the HTTP server open
      await app.close();
      await controllers?.stop();
      operations.close();
      unsubscribeAudit();
      unlistenAlarms();
      unlistenLive();
      unlistenNotify();
      await notifications?.stop();
    },
  };
}
