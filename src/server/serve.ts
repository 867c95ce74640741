// `monban serve`: opens storage (running migrations), builds the API with the management security in
// front of it (headers, allow-list, authentication, CSRF, audit), serves HTTPS by default, and on
// first start prints a one-time setup token for the first administrator. close() stops the server
// and then the database, in that order, so no request runs against a closed database.
//
// Integration points with the security half (src/server/auth, src/server/transport):
// - `registerManagementSecurity` registers before the routes and sets request.principal;
// - every successful write of the data API becomes a specific audit record (`person.create`, …);
// - `loadOrCreateCertificate` gives the certificate unless `tls` is passed or turned off;
// - `ensureFirstAdminSetup` prints the setup token when no administrator exists;
// - `registerConsole` serves the web console (dist/web) at `/` and its client routes.

import { readFileSync } from 'node:fs';
import type { FastifyInstance } from 'fastify';
import pino, { type Logger } from 'pino';
import { securityDb } from './auth/context.ts';
import { securityEnv } from './auth/env.ts';
import { audit } from './auth/http.ts';
import { authenticate, ensureFirstAdminSetup, registerManagementSecurity } from './auth/index.ts';
import type { ServerConfig } from './config.ts';
import { controllerLinkRoutes } from './controllers/routes.ts';
import { ControllerService } from './controllers/service.ts';
import { buildApp } from './http/app.ts';
import { registerConsole } from './http/console.ts';
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
  controllers: ControllerService | undefined;
  /** where it listens, e.g. https://127.0.0.1:8443 */
  url: string;
  close(): Promise<void>;
}

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
  const store = await openDatabase(config);
  let app: FastifyInstance | undefined;
  let controllers: ControllerService | undefined;
  try {
    const installationKey = installationKeyFor(config);
    let https: TlsOptions | undefined;
    if (options.tls === undefined) {
      const certificate = await loadOrCreateCertificate(config.dataDir, security.tls);
      https = tlsServerOptions(certificate);
      logger.info(
        { source: certificate.source, fingerprint256: certificate.fingerprint256 },
        'TLS certificate',
      );
    } else if (options.tls !== false) https = options.tls;

    app = await buildApp({
      store,
      installationKey,
      logger,
      bodyLimit: config.bodyLimit,
      ...(https && { https }),
      plugins: async (instance) => {
        await registerManagementSecurity(instance, {
          db: store.db,
          logger,
          installationKey,
          settings: security.settings,
          allowList: security.allowList,
          background: options.background ?? true,
        });
        await registerConsole(instance);
        if (options.controllers === false) return;
        const c = config.controllers;
        controllers = new ControllerService({
          store,
          installationKey,
          logger,
          alarms: instance.security.alarms,
          tls: https && { cert: String(https.cert), key: String(https.key) },
          settings: {
            site: c.site,
            mqttUrl: c.mqttUrl,
            mqttCa: c.mqttCaFile ? readFileSync(c.mqttCaFile, 'utf8') : undefined,
            mqttPort: options.controllers?.mqttPort ?? c.mqttPort,
            mqttHost: config.host,
            snapshotMaxAgeMinutes: c.snapshotMaxAgeMinutes,
            fallback: c.fallback,
            emergencyGroup: c.emergencyGroup,
            heartbeatMs: c.heartbeatMs,
            linkTimeoutMs: c.linkTimeoutMs,
          },
        });
        await controllerLinkRoutes(instance, controllers);
      },
      authenticate,
      onChange: async (_principal, action, resource, id, request) => {
        await audit(
          app!.security.ctx,
          request,
          `${resource.replaceAll(' ', '_')}.${action}`,
          `${resource}:${id}`,
        );
        // Policy data changed: revocations go out at once, snapshots follow.
        await controllers?.changed(resource, id);
      },
    });
    await controllers?.start();
    await ensureFirstAdminSetup(securityDb(store.db), logger, {
      ...(options.print && { print: options.print }),
    });
    const address = await app.listen({ host: config.host, port: config.port });
    const url = address.replace(/^http:/, https ? 'https:' : 'http:');
    logger.info({ url }, 'management server listening');
    const running = app;
    let closed = false;
    const linked = controllers;
    return {
      app: running,
      store,
      controllers: linked,
      url,
      async close() {
        if (closed) return;
        closed = true;
        await running.close();
        await linked?.stop();
        await store.close();
      },
    };
  } catch (error) {
    await controllers?.stop();
    await app?.close();
    await store.close();
    throw error;
  }
}
