// A controller's identity (issue 4 §2): it makes its own Ed25519 key pair, enrolls once over HTTPS
// with the one-time token an administrator issued, and keeps what the server answered — its public
// key, the site credential key, where the broker is — with its private key in one file readable by
// its owner only. The private key never leaves the controller.

import { generateKeyPairSync, type KeyObject } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { request } from 'node:https';
import { join } from 'node:path';
import { z } from 'zod';
import { privateKeyFromPem, publicKeyFromPem } from '../contracts/envelope.ts';

const identitySchema = z.strictObject({
  version: z.literal(1),
  controllerId: z.string().min(1).max(64),
  site: z.string().min(1).max(32),
  mqttUrl: z.string().regex(/^mqtts?:\/\//),
  mqttProtocol: z.union([z.literal(4), z.literal(5)]),
  brokerCa: z.string().optional(),
  /** the password at an external broker configured by `monban broker-config` */
  brokerPassword: z.string().min(1).optional(),
  serverPublicKey: z.string().min(1),
  credentialKey: z.string().min(1),
  privateKey: z.string().min(1),
});

export type IdentityFile = z.infer<typeof identitySchema>;

export interface ControllerIdentity {
  controllerId: string;
  site: string;
  mqttUrl: string;
  mqttProtocol: 4 | 5;
  brokerCa: string | undefined;
  brokerPassword?: string | undefined;
  serverKey: KeyObject;
  credentialKey: Uint8Array;
  privateKey: KeyObject;
}

export const IDENTITY_FILE = 'identity.json';

export class IdentityError extends Error {
  override name = 'IdentityError';
}

export function loadIdentity(dataDir: string): ControllerIdentity {
  const path = join(dataDir, IDENTITY_FILE);
  if (!existsSync(path))
    throw new IdentityError(`${path} does not exist: enroll first (monban controller enroll --help)`);
  const parsed = identitySchema.safeParse(JSON.parse(readFileSync(path, 'utf8')));
  if (!parsed.success)
    throw new IdentityError(`${path} is damaged (${parsed.error.issues[0]!.path.join('.')})`);
  const f = parsed.data;
  return {
    controllerId: f.controllerId,
    site: f.site,
    mqttUrl: f.mqttUrl,
    mqttProtocol: f.mqttProtocol,
    brokerCa: f.brokerCa,
    brokerPassword: f.brokerPassword,
    serverKey: publicKeyFromPem(f.serverPublicKey),
    credentialKey: new Uint8Array(Buffer.from(f.credentialKey, 'base64')),
    privateKey: privateKeyFromPem(f.privateKey),
  };
}

const enrollmentAnswer = z.object({
  site: z.string(),
  mqttUrl: z.string(),
  mqttProtocol: z.union([z.literal(4), z.literal(5)]),
  serverPublicKey: z.string(),
  credentialKey: z.string(),
  brokerCa: z.string().optional(),
  brokerPassword: z.string().optional(),
});

function postJson(
  url: string,
  body: unknown,
  ca: string | undefined,
): Promise<{ status: number; json: unknown }> {
  const payload = JSON.stringify(body);
  return new Promise((resolve, reject) => {
    const req = request(
      url,
      {
        method: 'POST',
        ...(ca && { ca }),
        agent: false,
        timeout: 15_000,
        headers: { 'content-type': 'application/json' },
      },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (chunk) => {
          text += chunk;
        });
        res.on('end', () => {
          try {
            resolve({ status: res.statusCode ?? 0, json: JSON.parse(text) });
          } catch {
            resolve({ status: res.statusCode ?? 0, json: undefined });
          }
        });
      },
    );
    req.on('timeout', () => req.destroy(new Error('the server did not answer in 15 s')));
    req.on('error', reject);
    req.end(payload);
  });
}

/**
 * Enrolls with the server and writes the identity file. `overrides.mqttUrl` replaces the broker
 * address the server named (a controller that reaches the broker by another name).
 */
export async function enroll(options: {
  dataDir: string;
  serverUrl: string;
  controllerId: string;
  token: string;
  ca?: string | undefined;
  mqttUrl?: string | undefined;
}): Promise<ControllerIdentity> {
  const { publicKey, privateKey } = generateKeyPairSync('ed25519');
  const answer = await postJson(
    new URL('/api/controllers/enroll', options.serverUrl).href,
    {
      controllerId: options.controllerId,
      token: options.token,
      publicKey: publicKey.export({ type: 'spki', format: 'pem' }).toString(),
    },
    options.ca,
  );
  if (answer.status !== 200) {
    const message = (answer.json as { error?: { message?: string } } | undefined)?.error?.message;
    throw new IdentityError(`enrollment refused (HTTP ${answer.status})${message ? `: ${message}` : ''}`);
  }
  const a = enrollmentAnswer.parse(answer.json);
  const file: IdentityFile = {
    version: 1,
    controllerId: options.controllerId,
    site: a.site,
    mqttUrl: options.mqttUrl ?? a.mqttUrl,
    mqttProtocol: a.mqttProtocol,
    ...(a.brokerCa && { brokerCa: a.brokerCa }),
    ...(a.brokerPassword && { brokerPassword: a.brokerPassword }),
    serverPublicKey: a.serverPublicKey,
    credentialKey: a.credentialKey,
    privateKey: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
  };
  mkdirSync(options.dataDir, { recursive: true, mode: 0o700 });
  const path = join(options.dataDir, IDENTITY_FILE);
  writeFileSync(`${path}.tmp`, `${JSON.stringify(file, null, 2)}\n`, { mode: 0o600 });
  chmodSync(`${path}.tmp`, 0o600);
  renameSync(`${path}.tmp`, path);
  return loadIdentity(options.dataDir);
}
