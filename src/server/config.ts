// Server configuration from the environment, validated with zod; a bad value fails at start with an
// error naming the variable (never echoing it: MONBAN_INSTALLATION_KEY is a secret).
//
//   MONBAN_DATA_DIR           data directory: SQLite database, installation key, certificate
//                             (default ./monban-data)
//   MONBAN_DATABASE_URL       postgres://… to use PostgreSQL instead of the SQLite file
//   MONBAN_HOST               address to listen on (default 127.0.0.1: local only until you choose)
//   MONBAN_PORT               port (default 8443)
//   MONBAN_LOG_LEVEL          fatal|error|warn|info|debug|trace|silent (default info)
//   MONBAN_INSTALLATION_KEY   base64 of 32 random bytes; default: generated once into the data
//                             directory. Set it when several servers share one PostgreSQL database.
//   MONBAN_BODY_LIMIT_MB      largest request body, e.g. a CSV upload (default 16)
//   MONBAN_CHECKPOINT_SECONDS how often the heads of the audit and event chains are checkpointed to
//                             DATA_DIR/anchors/checkpoints.jsonl when they moved (default 60)
//   MONBAN_METRICS_PORT       Prometheus metrics at /metrics on a listener of its own (default: off)
//   MONBAN_METRICS_HOST       its address (default 127.0.0.1: plain HTTP, no token); any other needs
//   MONBAN_METRICS_TOKEN_FILE a file holding the bearer token scrapers send (served over TLS then)
//
// Controllers (docs/controllers.md):
//   MONBAN_SITE                       the default site (controllers without one); created at first start, its topic = its id (default main)
//   MONBAN_MQTT_URL                   an external broker, mqtt:// or mqtts:// (default: the embedded
//                                     broker over TLS on MONBAN_MQTT_PORT)
//   MONBAN_MQTT_CA                    PEM file to trust for an external mqtts:// broker
//   MONBAN_MQTT_PORT                  embedded broker port (default 18830; 1883 stays free)
//   MONBAN_SNAPSHOT_MAX_AGE_MINUTES   a controller that has not heard its policy confirmed for this
//                                     long switches to the offline fallback (default 1440)
//   MONBAN_SNAPSHOT_CHUNK_KIB         snapshots and deltas larger than this go compressed in chunks of
//                                     this size, resumable (default 256; lower it for a broker with a
//                                     small message limit)
//   MONBAN_OFFLINE_FALLBACK           emergency_only | deny_all | keep_deciding (default emergency_only)
//   MONBAN_EMERGENCY_GROUP            the group still let in under emergency_only
//   MONBAN_HEARTBEAT_SECONDS          heartbeat interval both ways (default 5)
//   MONBAN_LINK_TIMEOUT_SECONDS       silence before comms_lost (default 15)
//   MONBAN_WEBHOOK_RETRY_SECONDS      first webhook retry after this long, doubling (default 10)
//   MONBAN_MQTT_LOGIN                 derived: the server and controllers log in to the external broker
//                                     with passwords derived from the installation key, for a broker
//                                     configured by `monban broker-config`; none (default): no login
//
// Several servers (docs/scale-out.md): with MONBAN_DATABASE_URL and MONBAN_MQTT_URL both set, each
// `monban serve` takes a share of the controllers by leases in PostgreSQL.
//   MONBAN_CLUSTER_LEASE_SECONDS      how long a lease holds unrenewed: a dead server's controllers are
//                                     taken over after about this long (default 10)

import { resolve } from 'node:path';
import { z } from 'zod';
import type { StoreLocation } from './storage/db.ts';

const storageSchema = z.object({
  MONBAN_DATA_DIR: z.string().min(1, 'must not be empty').default('./monban-data'),
  MONBAN_DATABASE_URL: z
    .string()
    .regex(/^postgres(ql)?:\/\/\S+$/, 'must be a postgres:// URL')
    .optional(),
});

const serverSchema = storageSchema.extend({
  MONBAN_HOST: z.string().min(1, 'must not be empty').default('127.0.0.1'),
  MONBAN_PORT: z.coerce
    .number({ error: 'must be a port number' })
    .int('must be a whole number')
    .min(0, 'must be from 0 to 65535')
    .max(65535, 'must be from 0 to 65535')
    .default(8443),
  MONBAN_LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  MONBAN_INSTALLATION_KEY: z
    .string()
    .refine((v) => Buffer.from(v, 'base64').length === 32, 'must be base64 of exactly 32 bytes')
    .optional(),
  MONBAN_BODY_LIMIT_MB: z.coerce.number().int().min(1).max(1024).default(16),
  MONBAN_CHECKPOINT_SECONDS: z.coerce.number().int().min(1).max(86_400).default(60),
  MONBAN_METRICS_PORT: z.coerce.number().int().min(0).max(65535).optional(),
  MONBAN_METRICS_HOST: z.string().min(1).default('127.0.0.1'),
  MONBAN_METRICS_TOKEN_FILE: z.string().min(1).optional(),
  MONBAN_SITE: z
    .string()
    .regex(/^[A-Za-z0-9_-]{1,32}$/, 'must be 1-32 letters, digits, _ or -')
    .default('main'),
  MONBAN_MQTT_URL: z
    .string()
    .regex(/^mqtts?:\/\/\S+$/, 'must be an mqtt:// or mqtts:// URL')
    .optional(),
  MONBAN_MQTT_CA: z.string().min(1).optional(),
  MONBAN_MQTT_PORT: z.coerce.number().int().min(0).max(65535).default(18830),
  MONBAN_SNAPSHOT_MAX_AGE_MINUTES: z.coerce.number().int().min(1).max(525_600).default(1440),
  MONBAN_SNAPSHOT_CHUNK_KIB: z.coerce.number().int().min(1).max(4096).default(256),
  MONBAN_OFFLINE_FALLBACK: z.enum(['emergency_only', 'deny_all', 'keep_deciding']).default('emergency_only'),
  MONBAN_EMERGENCY_GROUP: z.string().min(1).max(64).optional(),
  MONBAN_HEARTBEAT_SECONDS: z.coerce.number().int().min(1).max(3600).default(5),
  MONBAN_LINK_TIMEOUT_SECONDS: z.coerce.number().int().min(2).max(86_400).default(15),
  MONBAN_WEBHOOK_RETRY_SECONDS: z.coerce.number().min(0.1).max(3600).default(10),
  MONBAN_MQTT_LOGIN: z.enum(['derived', 'none']).default('none'),
  MONBAN_CLUSTER_LEASE_SECONDS: z.coerce.number().int().min(2).max(300).default(10),
});

export interface StorageConfig {
  dataDir: string;
  location: StoreLocation;
}

export interface ServerConfig extends StorageConfig {
  host: string;
  port: number;
  logLevel: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
  /** from MONBAN_INSTALLATION_KEY; undefined: the key file in the data directory */
  installationKey: Uint8Array | undefined;
  bodyLimit: number;
  /** seconds between checkpoints of the chain heads (audit/anchors.ts) */
  checkpointSeconds: number;
  /** first webhook retry after this long (each further one waits twice as long) */
  webhookRetryMs: number;
  /** the metrics listener (metrics/listener.ts); undefined port: off */
  metrics: { port: number | undefined; host: string; tokenFile: string | undefined };
  controllers: {
    site: string;
    mqttUrl: string | undefined;
    mqttCaFile: string | undefined;
    mqttPort: number;
    snapshotMaxAgeMinutes: number;
    /** bytes a snapshot transfer chunk holds (and the size above which a body goes chunked) */
    snapshotChunkBytes: number;
    fallback: 'emergency_only' | 'deny_all' | 'keep_deciding';
    emergencyGroup: string | undefined;
    heartbeatMs: number;
    linkTimeoutMs: number;
    brokerLogin: 'derived' | 'none';
    /** several servers on one PostgreSQL and one external broker: coordinator leases */
    cluster: { url: string; leaseMs: number } | undefined;
  };
}

export class ConfigError extends Error {
  constructor(
    readonly variable: string,
    reason: string,
  ) {
    super(`${variable}: ${reason}`);
    this.name = 'ConfigError';
  }
}

function parseEnv<S extends z.ZodType>(schema: S, values: Record<string, string | undefined>): z.output<S> {
  const parsed = schema.safeParse(values);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    // The message only: zod issues may carry the received value, and one of these is a key.
    throw new ConfigError(String(issue.path[0]), issue.message);
  }
  return parsed.data;
}

/** Blank variables count as unset, as they do in most shells' `VAR= command`. */
function pick(env: Record<string, string | undefined>, names: readonly string[]) {
  return Object.fromEntries(names.map((n) => [n, env[n] === '' ? undefined : env[n]]));
}

function location(dataDir: string, databaseUrl: string | undefined): StoreLocation {
  return databaseUrl ? { postgresUrl: databaseUrl } : { sqliteFile: resolve(dataDir, 'monban.db') };
}

export function storageConfig(
  env: Record<string, string | undefined> = process.env,
  overrides: { dataDir?: string; databaseUrl?: string } = {},
): StorageConfig {
  const e = parseEnv(storageSchema, {
    ...pick(env, Object.keys(storageSchema.shape)),
    ...(overrides.dataDir !== undefined && { MONBAN_DATA_DIR: overrides.dataDir }),
    ...(overrides.databaseUrl !== undefined && { MONBAN_DATABASE_URL: overrides.databaseUrl }),
  });
  const dataDir = resolve(e.MONBAN_DATA_DIR);
  return { dataDir, location: location(dataDir, e.MONBAN_DATABASE_URL) };
}

export function serverConfig(
  env: Record<string, string | undefined> = process.env,
  overrides: { dataDir?: string; databaseUrl?: string; host?: string; port?: number } = {},
): ServerConfig {
  const e = parseEnv(serverSchema, {
    ...pick(env, Object.keys(serverSchema.shape)),
    ...(overrides.dataDir !== undefined && { MONBAN_DATA_DIR: overrides.dataDir }),
    ...(overrides.databaseUrl !== undefined && { MONBAN_DATABASE_URL: overrides.databaseUrl }),
    ...(overrides.host !== undefined && { MONBAN_HOST: overrides.host }),
    ...(overrides.port !== undefined && { MONBAN_PORT: String(overrides.port) }),
  });
  const dataDir = resolve(e.MONBAN_DATA_DIR);
  return {
    dataDir,
    location: location(dataDir, e.MONBAN_DATABASE_URL),
    host: e.MONBAN_HOST,
    port: e.MONBAN_PORT,
    logLevel: e.MONBAN_LOG_LEVEL,
    installationKey: e.MONBAN_INSTALLATION_KEY
      ? new Uint8Array(Buffer.from(e.MONBAN_INSTALLATION_KEY, 'base64'))
      : undefined,
    bodyLimit: e.MONBAN_BODY_LIMIT_MB * 1024 * 1024,
    checkpointSeconds: e.MONBAN_CHECKPOINT_SECONDS,
    webhookRetryMs: e.MONBAN_WEBHOOK_RETRY_SECONDS * 1000,
    metrics: {
      port: e.MONBAN_METRICS_PORT,
      host: e.MONBAN_METRICS_HOST,
      tokenFile: e.MONBAN_METRICS_TOKEN_FILE,
    },
    controllers: {
      site: e.MONBAN_SITE,
      mqttUrl: e.MONBAN_MQTT_URL,
      mqttCaFile: e.MONBAN_MQTT_CA,
      mqttPort: e.MONBAN_MQTT_PORT,
      snapshotMaxAgeMinutes: e.MONBAN_SNAPSHOT_MAX_AGE_MINUTES,
      snapshotChunkBytes: e.MONBAN_SNAPSHOT_CHUNK_KIB * 1024,
      fallback: e.MONBAN_OFFLINE_FALLBACK,
      emergencyGroup: e.MONBAN_EMERGENCY_GROUP,
      heartbeatMs: e.MONBAN_HEARTBEAT_SECONDS * 1000,
      linkTimeoutMs: e.MONBAN_LINK_TIMEOUT_SECONDS * 1000,
      brokerLogin: e.MONBAN_MQTT_LOGIN,
      cluster:
        e.MONBAN_DATABASE_URL && e.MONBAN_MQTT_URL
          ? { url: e.MONBAN_DATABASE_URL, leaseMs: e.MONBAN_CLUSTER_LEASE_SECONDS * 1000 }
          : undefined,
    },
  };
}
