// `monban serve`: opens storage (running migrations), loads or creates the certificate, puts the
// server together in the composition root (compose.ts: service layer, domain events, audit, security
// plugin, route table, controller link), serves HTTPS by default, and on first start prints a
// one-time setup token for the first administrator. close() stops the server, then the controller
// link, then the database, in that order, so no request runs against a closed database.

import { readFileSync } from 'node:fs';
import type { FastifyInstance } from 'fastify';
import pino, { type Logger } from 'pino';
import { anchorFileIn, startCheckpoints } from './audit/anchors.ts';
import { securityDb } from './auth/context.ts';
import { securityEnv } from './auth/env.ts';
import { ensureFirstAdminSetup } from './auth/index.ts';
import { type ComposedServer, composeServer } from './compose.ts';
import type { ServerConfig } from './config.ts';
import type { ControllerLink } from './controllers/link.ts';
import { DataDirLock } from './data-dir-lock.ts';
import { registerConsole } from './http/console.ts';
import { isLoopback, type MetricsListener, startMetricsListener } from './metrics/listener.ts';
import { notifySettingsFromEnv } from './notify/config.ts';
import type { Services } from './services/index.ts';
import { secureDataDir } from './storage/data-dir.ts';
import { openDatabase, type Store } from './storage/db.ts';
import { installationKeyFor } from './storage/installation-key.ts';
import { loadOrCreateCertificate, tlsServerOptions } from './transport/certificate.ts';

export interface TlsOptions {
  key: string | Buffer;
  cert: string | Buffer;
}

export interface StartOptions {
  /** a certificate to serve; default: the installed or generated one (security); false: plain HTTP */
  tls?: TlsOptions | false;
  logger?: Logger;
  /** the environment for the security settings (default process.env) */
  env?: Record<string, string | undefined>;
  /** print the first-admin setup token here (default stderr) */
  print?: (line: string) => void;
  /** background work: clock watch, session cleanup (default true) */
  background?: boolean;
  /** the controller link (broker, enrollment, sync); false: none (default: on, as configured) */
  controllers?: false | { mqttPort?: number };
}

export interface RunningServer {
  app: FastifyInstance;
  store: Store;
  /** every write to the site data */
  services: Services;
  controllers: ControllerLink | undefined;
  /** where it listens, e.g. https://127.0.0.1:8443 */
  url: string;
  /** the metrics endpoint, when MONBAN_METRICS_PORT is set */
  metricsUrl: string | undefined;
  close(): Promise<void>;
}

const RETENTION_INTERVAL_MS = 6 * 3_600_000;

// Paths that may carry secrets are redacted from every log line, whatever logs them.
const REDACT = [
  'req.headers.authorization',
  'req.headers.cookie',
  'req.headers["x-csrf-token"]',
  'res.headers["set-cookie"]',
  '*.pin',
  '*.duressPin',
  '*.password',
  '*.token',
];

export async function startServer(config: ServerConfig, options: StartOptions = {}): Promise<RunningServer> {
  const logger =
    options.logger ?? pino({ level: config.logLevel, redact: { paths: REDACT, censor: '[redacted]' } });
  const security = securityEnv(options.env ?? process.env);
  // 0700 and 0600 from the first start; too-open modes fixed with a warning, foreign owners refused.
  for (const warning of secureDataDir(config.dataDir))
    logger.warn({ path: warning }, 'data directory permissions were too open and have been fixed');
  // One server per data directory; `monban import` finds it here and imports through its API.
  const lock = DataDirLock.acquire(config.dataDir, 'serve');
  let store: Store;
  try {
    store = await openDatabase(config);
  } catch (error) {
    lock.release();
    throw error;
  }
  let server: ComposedServer | undefined;
  let checkpoints: { stop(): Promise<void> } | undefined;
  let metrics: MetricsListener | undefined;
  let retention: { stop(): Promise<void> } | undefined;
  const anchorFile = anchorFileIn(config.dataDir);
  try {
    const installationKey = installationKeyFor(config);
    let https: TlsOptions | undefined;
    let caFile: string | undefined;
    if (options.tls === undefined) {
      const certificate = await loadOrCreateCertificate(config.dataDir, security.tls);
      caFile = certificate.certPath;
      https = tlsServerOptions(certificate);
      logger.info(
        { source: certificate.source, fingerprint256: certificate.fingerprint256 },
        'TLS certificate',
      );
    } else if (options.tls !== false) https = options.tls;

    const c = config.controllers;
    server = await composeServer({
      store,
      installationKey,
      logger,
      https,
      bodyLimit: config.bodyLimit,
      security: {
        settings: security.settings,
        allowList: security.allowList,
        background: options.background ?? true,
        anchorFile,
        oidc: security.oidc,
      },
      controllers:
        options.controllers === false
          ? false
          : {
              site: c.site,
              mqttUrl: c.mqttUrl,
              mqttCa: c.mqttCaFile ? readFileSync(c.mqttCaFile, 'utf8') : undefined,
              mqttPort: options.controllers?.mqttPort ?? c.mqttPort,
              mqttHost: config.host,
              snapshotMaxAgeMinutes: c.snapshotMaxAgeMinutes,
              snapshotChunkBytes: c.snapshotChunkBytes,
              fallback: c.fallback,
              emergencyGroup: c.emergencyGroup,
              heartbeatMs: c.heartbeatMs,
              linkTimeoutMs: c.linkTimeoutMs,
              brokerLogin: c.brokerLogin,
              cluster: c.cluster,
            },
      webhooks: { retryBaseMs: config.webhookRetryMs },
      // The web console (dist/web) at `/` and its client routes.
      routes: (instance) => registerConsole(instance),
      metrics: { processMetrics: true },
      notify: notifySettingsFromEnv(options.env ?? process.env, security.settings.webauthn?.origins?.[0]),
    });
    await server.start();
    // Signed checkpoints of the chain heads, outside the database (audit/anchors.ts).
    checkpoints = await startCheckpoints({
      db: store.db,
      keys: server.app.security.ctx.anchorKeys,
      file: anchorFile,
      intervalMs: config.checkpointSeconds * 1000,
      logger,
    });
    // The retention purge (lifecycle/retention.ts), every few hours; audited each run.
    if (options.background ?? true) retention = server.lifecycle.schedule(RETENTION_INTERVAL_MS, logger);
    await ensureFirstAdminSetup(securityDb(store.db), logger, {
      ...(options.print && { print: options.print }),
    });
    const running = server;
    if (config.metrics.port !== undefined) {
      const { host, port, tokenFile } = config.metrics;
      metrics = await startMetricsListener({
        host,
        port,
        scrape: () => running.metrics.scrape(),
        contentType: server.metrics.contentType,
        token: tokenFile ? readFileSync(tokenFile, 'utf8').trim() : undefined,
        tls: isLoopback(host) ? undefined : https,
      });
      logger.info({ url: metrics.url }, 'metrics listening');
    }
    const address = await server.app.listen({ host: config.host, port: config.port });
    const url = address.replace(/^http:/, https ? 'https:' : 'http:');
    const brokerUrl = running.controllers?.brokerUrl;
    lock.update({ url, ...(caFile && { caFile }), ...(brokerUrl && { brokerUrl }) });
    logger.info({ url }, 'management server listening');
    let closed = false;
    return {
      app: running.app,
      store,
      services: running.services,
      controllers: running.controllers,
      url,
      metricsUrl: metrics?.url,
      async close() {
        if (closed) return;
        closed = true;
        await metrics?.close();
        await retention?.stop();
        await running.close();
        await checkpoints?.stop();
        await store.close();
        lock.release();
      },
    };
  } catch (error) {
    await metrics?.close();
    await retention?.stop();
    await checkpoints?.stop();
    await server?.close();
    await store.close();
    lock.release();
    throw error;
  }
}
