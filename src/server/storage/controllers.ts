// Controllers (制御装置): the registry of edge devices, each at a site (none: the default site). A
// controller that still has doors cannot be removed; an enrolled one cannot move to a site with another
// MQTT topic (it would lose the server until enrolled again).

import type { Executor } from './db.ts';
import { StorageError } from './errors.ts';
import { ResourceStore } from './resource.ts';
import { DEFAULT_SITE } from './sites.ts';

export interface ControllerInput {
  id: string;
  name: string;
  site: string | null;
  description: string | null;
}

export class ControllerStore extends ResourceStore<ControllerInput> {
  constructor(db: Executor) {
    super(db, {
      resource: 'controller',
      table: 'controllers',
      toRow: (c) => ({ name: c.name, site: c.site, description: c.description }),
      fromRow: (r) => ({
        name: r.name as string,
        site: r.site as string | null,
        description: r.description as string | null,
      }),
      links: [],
      refs: [{ field: 'site', refTable: 'sites', refResource: 'site' }],
      filters: { site: 'site' },
      async check(db, controller) {
        const before = await db
          .selectFrom('controllers')
          .leftJoin('controller_links', 'controller_links.controller_id', 'controllers.id')
          .select(['controllers.site as site', 'controller_links.public_key as key'])
          .where('controllers.id', '=', controller.id)
          .executeTakeFirst();
        if (!before?.key || (before.site ?? null) === controller.site) return;
        const topics = await db
          .selectFrom('sites')
          .select(['id', 'topic'])
          .where('id', 'in', [before.site ?? DEFAULT_SITE, controller.site ?? DEFAULT_SITE])
          .execute();
        const topicOf = (id: string | null) => topics.find((t) => t.id === (id ?? DEFAULT_SITE))?.topic;
        if (topicOf(before.site as string | null) !== topicOf(controller.site))
          throw new StorageError(
            'in_use',
            'controller',
            `controller '${controller.id}' is enrolled on the topic of its site: enroll it again after moving it to a site with another topic`,
            'site',
          );
      },
    });
  }
}
