// The metrics listener fails closed: off loopback it refuses to start without a bearer token and TLS,
// and with them it answers 401 to a scrape without the token or with a wrong one.
import { mkdtempSync, rmSync } from 'node:fs';
import { request } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { MetricsConfigError, startMetricsListener } from '../../../src/server/metrics/listener.ts';
import { loadOrCreateCertificate } from '../../../src/server/transport/certificate.ts';

const dir = mkdtempSync(join(tmpdir(), 'monban-metrics-listener-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const scrape = async () => 'monban_up 1\n';

function get(url: string, ca: string, token?: string): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    request(url, { ca, agent: false, headers: token ? { authorization: `Bearer ${token}` } : {} }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (c) => {
        text += c;
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
    })
      .on('error', reject)
      .end();
  });
}

describe('metrics listener', () => {
  it('refuses a non-loopback address without a token and TLS', async () => {
    await expect(
      startMetricsListener({ host: '0.0.0.0', port: 0, scrape, contentType: 'text/plain' }),
    ).rejects.toThrow(MetricsConfigError);
  });

  it('off loopback: TLS, and the token or 401', async () => {
    const cert = await loadOrCreateCertificate(dir, { hostnames: ['127.0.0.1'] });
    const listener = await startMetricsListener({
      host: '0.0.0.0',
      port: 0,
      scrape,
      contentType: 'text/plain; version=0.0.4',
      token: 'scrape-token-1234567890',
      tls: { cert: cert.cert, key: cert.key },
    });
    try {
      const url = listener.url.replace('0.0.0.0', '127.0.0.1');
      expect(url).toMatch(/^https:/);
      expect((await get(url, cert.cert)).status).toBe(401);
      expect((await get(url, cert.cert, 'scrape-token-1234567891')).status).toBe(401);
      const ok = await get(url, cert.cert, 'scrape-token-1234567890');
      expect(ok).toEqual({ status: 200, text: 'monban_up 1\n' });
    } finally {
      await listener.close();
    }
  });
});
