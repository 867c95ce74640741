// One call for the server to put the management security in front of everything (compose.ts):
// security headers, the IP allow-list (before any database work), then authentication, CSRF and
// audit, with the security services the composition root made. Every route, /api/auth included, is
// a row of the route table. Optionally the background work: clock-jump watch and expired-session
// cleanup, both stopped when the app closes.

import type { FastifyInstance } from 'fastify';
import { registerAllowList } from '../transport/allow-list.ts';
import { registerSecurityHeaders } from '../transport/headers.ts';
import { registerWellFormedText } from '../transport/text.ts';
import { type SecurityPluginOptions, securityPlugin } from './plugin.ts';
import { deleteExpiredSessions } from './store.ts';

export { type SecurityEnv, securityEnv } from './env.ts';
export {
  authenticate,
  createSecurityServices,
  type SecurityPluginOptions,
  type SecurityServices,
  type SecurityServicesOptions,
  securityPlugin,
} from './plugin.ts';
export { ensureFirstAdminSetup } from './setup.ts';

export interface ManagementSecurityOptions extends SecurityPluginOptions {
  /** CIDRs allowed to reach the management server; empty = everyone */
  allowList?: readonly string[];
  /** sample the clocks for time_drift alarms and purge expired sessions (off in tests) */
  background?: boolean;
}

export async function registerManagementSecurity(
  app: FastifyInstance,
  options: ManagementSecurityOptions,
): Promise<void> {
  // Headers first, so even a refusal carries them; then the allow-list, before any database work.
  await registerSecurityHeaders(app);
  registerAllowList(app, options.allowList ?? []);
  registerWellFormedText(app);
  await app.register(securityPlugin, { services: options.services });
  if (options.background) {
    const services = app.security;
    const stopClock = services.alarms.watchClock(10_000);
    const purge = setInterval(() => {
      const { ctx } = services;
      deleteExpiredSessions(ctx.db, ctx.clock.now(), ctx.settings.session.idleMs).catch((error: unknown) =>
        ctx.logger.error({ err: { message: (error as Error).message } }, 'session cleanup failed'),
      );
    }, 10 * 60_000);
    purge.unref();
    app.addHook('onClose', async () => {
      stopClock();
      clearInterval(purge);
    });
  }
}
