// Rule: the server's configuration comes from the environment with safe defaults (local only, SQLite
// in the data directory), and a bad value stops the start with an error naming the variable and
// never repeating the value (MONBAN_INSTALLATION_KEY is a secret).
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, serverConfig, storageConfig } from '../../../src/server/config.ts';

describe('server configuration', () => {
  it('has safe defaults', () => {
    const config = serverConfig({});
    expect(config).toMatchObject({
      host: '127.0.0.1',
      port: 8443,
      logLevel: 'info',
      dataDir: resolve('monban-data'),
      location: { sqliteFile: resolve('monban-data', 'monban.db') },
      installationKey: undefined,
      bodyLimit: 16 * 1024 * 1024,
    });
    expect(storageConfig({}).location).toEqual(config.location);
  });

  it('reads PostgreSQL, the port, and an installation key', () => {
    const key = Buffer.alloc(32, 5).toString('base64');
    const config = serverConfig({
      MONBAN_DATABASE_URL: 'postgres://postgres@127.0.0.1:5432/monban',
      MONBAN_PORT: '9443',
      MONBAN_HOST: '0.0.0.0',
      MONBAN_INSTALLATION_KEY: key,
      MONBAN_HOST_UNUSED: 'x',
    });
    expect(config.location).toEqual({ postgresUrl: 'postgres://postgres@127.0.0.1:5432/monban' });
    expect([config.host, config.port]).toEqual(['0.0.0.0', 9443]);
    expect(config.installationKey).toEqual(new Uint8Array(32).fill(5));
    expect(serverConfig({ MONBAN_PORT: '' }).port).toBe(8443);
  });

  it.each([
    ['MONBAN_PORT', 'eighty'],
    ['MONBAN_PORT', '70000'],
    ['MONBAN_PORT', '80.5'],
    ['MONBAN_DATABASE_URL', 'mysql://db/monban'],
    ['MONBAN_LOG_LEVEL', 'loud'],
    ['MONBAN_INSTALLATION_KEY', 'c2VjcmV0LWJ1dC1zaG9ydA=='],
    ['MONBAN_BODY_LIMIT_MB', '0'],
  ])('names %s when it is %j, without echoing it', (variable, value) => {
    try {
      serverConfig({ [variable]: value });
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(ConfigError);
      expect((error as ConfigError).variable).toBe(variable);
      expect((error as Error).message.startsWith(`${variable}: `)).toBe(true);
      expect((error as Error).message).not.toContain(value);
    }
  });
});
