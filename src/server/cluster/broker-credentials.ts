// Broker logins for an external broker that enforces topic rights itself (issue 11 §5): with
// MONBAN_MQTT_LOGIN=derived the server logs in as `monban-server` and each controller as its id,
// each with a password derived from the installation key (HMAC-SHA256 under a key of its own), so
// every server instance and `monban broker-config` compute the same ones and none is stored in the
// database. A controller receives its own at enrollment, over HTTPS, and keeps it in its identity
// file. The broker holds only hashes (broker-config.ts).

import { createHmac, hkdfSync } from 'node:crypto';

export const SERVER_BROKER_USER = 'monban-server';

export function brokerPassword(installationKey: Uint8Array, username: string): string {
  const key = Buffer.from(hkdfSync('sha256', installationKey, 'monban', 'broker password v1', 32));
  return createHmac('sha256', key).update(username, 'utf8').digest('base64url');
}
