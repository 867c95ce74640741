// HTTPS by default (R-SEC-2): an installed certificate when one is configured, otherwise a
// self-signed one generated at first start and kept in the data directory, key readable by the owner
// only. TLS 1.2 is the minimum.

import { X509Certificate } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { generate } from 'selfsigned';

export interface CertificateFiles {
  /** an installed certificate (PEM, may include the chain) */
  certPath?: string;
  /** its private key (PEM) */
  keyPath?: string;
  /** names for a generated certificate; default localhost, the host name, 127.0.0.1 and ::1 */
  hostnames?: string[];
}

export interface ServerCertificate {
  cert: string;
  key: string;
  /** SHA-256 fingerprint, to compare with what a browser shows on first connection */
  fingerprint256: string;
  source: 'installed' | 'generated' | 'stored';
  certPath: string;
  keyPath: string;
}

const VALID_DAYS = 825; // the longest validity browsers accept for a server certificate

function isIp(name: string): boolean {
  return /^[\d.]+$/.test(name) || name.includes(':');
}

export async function loadOrCreateCertificate(
  dataDir: string,
  files: CertificateFiles = {},
): Promise<ServerCertificate> {
  if (files.certPath || files.keyPath) {
    if (!files.certPath || !files.keyPath)
      throw new Error('an installed certificate needs both certPath and keyPath');
    const cert = readFileSync(files.certPath, 'utf8');
    const key = readFileSync(files.keyPath, 'utf8');
    return {
      cert,
      key,
      fingerprint256: new X509Certificate(cert).fingerprint256,
      source: 'installed',
      certPath: files.certPath,
      keyPath: files.keyPath,
    };
  }
  const dir = join(dataDir, 'tls');
  const certPath = join(dir, 'server.crt');
  const keyPath = join(dir, 'server.key');
  if (existsSync(certPath) && existsSync(keyPath)) {
    const cert = readFileSync(certPath, 'utf8');
    const parsed = new X509Certificate(cert);
    if (new Date(parsed.validTo).getTime() > Date.now() + 24 * 3_600_000) {
      chmodSync(keyPath, 0o600);
      return {
        cert,
        key: readFileSync(keyPath, 'utf8'),
        fingerprint256: parsed.fingerprint256,
        source: 'stored',
        certPath,
        keyPath,
      };
    }
  }
  const names = files.hostnames ?? ['localhost', hostname(), '127.0.0.1', '::1'];
  const notBefore = new Date(Date.now() - 60_000);
  const pems = await generate(
    [
      { name: 'commonName', value: names[0] ?? 'localhost' },
      { name: 'organizationName', value: 'Monban (self-signed)' },
    ],
    {
      keyType: 'ec',
      curve: 'P-256',
      algorithm: 'sha256',
      notBeforeDate: notBefore,
      notAfterDate: new Date(notBefore.getTime() + VALID_DAYS * 86_400_000),
      extensions: [
        { name: 'basicConstraints', cA: false, critical: true },
        { name: 'keyUsage', digitalSignature: true, keyEncipherment: true, critical: true },
        { name: 'extKeyUsage', serverAuth: true },
        {
          name: 'subjectAltName',
          altNames: [...new Set(names)].map((name) =>
            isIp(name) ? { type: 7 as const, ip: name } : { type: 2 as const, value: name },
          ),
        },
      ],
    },
  );
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  writeFileSync(keyPath, pems.private, { mode: 0o600 });
  chmodSync(keyPath, 0o600);
  writeFileSync(certPath, pems.cert, { mode: 0o644 });
  return {
    cert: pems.cert,
    key: pems.private,
    fingerprint256: new X509Certificate(pems.cert).fingerprint256,
    source: 'generated',
    certPath,
    keyPath,
  };
}

/**
 * TLS 1.2 suites of Mozilla's "intermediate" profile: ECDHE key exchange with AES-GCM or
 * ChaCha20-Poly1305 only, so no CBC and no SHA-1 MAC. TLS 1.3 suites are all AEAD and stay as Node
 * sets them.
 */
export const TLS12_CIPHERS = [
  'ECDHE-ECDSA-AES128-GCM-SHA256',
  'ECDHE-RSA-AES128-GCM-SHA256',
  'ECDHE-ECDSA-AES256-GCM-SHA384',
  'ECDHE-RSA-AES256-GCM-SHA384',
  'ECDHE-ECDSA-CHACHA20-POLY1305',
  'ECDHE-RSA-CHACHA20-POLY1305',
].join(':');
const TLS13_CIPHERS = 'TLS_AES_128_GCM_SHA256:TLS_AES_256_GCM_SHA384:TLS_CHACHA20_POLY1305_SHA256';

/** Options for `Fastify({ https })` / `https.createServer`: TLS 1.2 minimum, modern suites only. */
export function tlsServerOptions(certificate: Pick<ServerCertificate, 'cert' | 'key'>) {
  return {
    cert: certificate.cert,
    key: certificate.key,
    minVersion: 'TLSv1.2' as const,
    ciphers: `${TLS13_CIPHERS}:${TLS12_CIPHERS}`,
    honorCipherOrder: true,
  };
}
