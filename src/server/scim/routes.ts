// /scim/v2 (RFC 7644): Users, Groups, ServiceProviderConfig, Schemas, ResourceTypes, for an identity
// provider (Microsoft Entra ID, Okta) to provision and deprovision people and group memberships.
// Authenticated by the dedicated SCIM bearer token only (tokens.ts); every answer, errors included,
// is application/scim+json in SCIM's own shapes. Writes go through the directory (directory.ts), so a
// user set inactive or deleted here is revoked at every controller at once.

import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { audit } from '../auth/http.ts';
import type { Actor } from '../services/write.ts';
import type { Directory, StoredGroup, StoredUser } from './directory.ts';
import { MAX_RESULTS, RESOURCE_TYPES, SCHEMAS, serviceProviderConfig } from './discovery.ts';
import { invalidValue, notFound, ScimError, scimErrorBody } from './errors.ts';
import { parseFilter } from './filter.ts';
import { parsePatch } from './patch.ts';
import { groupDocument, LIST_SCHEMA, userDocument } from './resources.ts';
import type { ScimTokens } from './tokens.ts';

export const SCIM_PREFIX = '/scim/v2';
const CONTENT_TYPE = 'application/scim+json; charset=utf-8';

declare module 'fastify' {
  interface FastifyRequest {
    /** the identity provider, once its SCIM token checked out */
    scimActor?: Actor;
  }
}

export interface ScimDeps {
  directory: Directory;
  tokens: ScimTokens;
  now: () => number;
}

const iso = (ms: number) => new Date(ms).toISOString();

function baseOf(request: FastifyRequest): string {
  return `${request.protocol}://${request.host}${SCIM_PREFIX}`;
}

function userResource(user: StoredUser, base: string) {
  return {
    ...userDocument(user.data),
    id: user.id,
    ...(user.groups.length > 0 && { groups: user.groups }),
    meta: {
      resourceType: 'User',
      created: iso(user.createdAt),
      lastModified: iso(user.updatedAt),
      location: `${base}/Users/${encodeURIComponent(user.id)}`,
      version: `W/"${user.version}"`,
    },
  };
}

function groupResource(group: StoredGroup, base: string, withMembers = true) {
  const doc = groupDocument(group.data);
  return {
    ...doc,
    id: group.id,
    ...(withMembers
      ? {
          members: group.data.members.map((value) => ({
            value,
            display: group.names.get(value),
            $ref: `${base}/Users/${encodeURIComponent(value)}`,
          })),
        }
      : { members: undefined }),
    meta: {
      resourceType: 'Group',
      created: iso(group.createdAt),
      lastModified: iso(group.updatedAt),
      location: `${base}/Groups/${encodeURIComponent(group.id)}`,
      version: `W/"${group.version}"`,
    },
  };
}

function listParams(query: unknown) {
  const q = (query ?? {}) as Record<string, unknown>;
  const int = (name: string, fallback: number, min: number) => {
    const raw = q[name];
    if (raw === undefined) return fallback;
    if (typeof raw !== 'string' || !/^-?\d{1,9}$/.test(raw))
      throw invalidValue(`${name}: must be an integer`);
    return Math.max(Number(raw), min);
  };
  const filter = q.filter;
  if (filter !== undefined && typeof filter !== 'string') throw invalidValue('filter: must be given once');
  const excluded =
    typeof q.excludedAttributes === 'string' ? q.excludedAttributes.toLowerCase().split(',') : [];
  return {
    conditions: filter === undefined || filter.trim() === '' ? [] : parseFilter(filter),
    startIndex: int('startIndex', 1, 1),
    count: Math.min(int('count', 100, 0), MAX_RESULTS),
    withMembers: !excluded.map((s) => s.trim()).includes('members'),
  };
}

function list(resources: unknown[], total: number, startIndex: number) {
  return {
    schemas: [LIST_SCHEMA],
    totalResults: total,
    startIndex,
    itemsPerPage: resources.length,
    Resources: resources,
  };
}

function idOf(request: FastifyRequest): string {
  const id = (request.params as { id?: string }).id ?? '';
  if (id.length === 0 || id.length > 128) throw notFound('resource');
  return id;
}

export async function registerScim(app: FastifyInstance, deps: ScimDeps): Promise<void> {
  const { directory, tokens } = deps;
  await app.register(
    async (scim) => {
      scim.addContentTypeParser(['application/scim+json'], { parseAs: 'string' }, (_request, body, done) => {
        try {
          done(null, body === '' ? undefined : JSON.parse(String(body)));
        } catch {
          done(new ScimError(400, 'the body is not valid JSON', 'invalidSyntax'), undefined);
        }
      });
      scim.setErrorHandler((error: Error & { statusCode?: number }, request, reply) => {
        if (error instanceof ScimError)
          return reply
            .code(error.status)
            .type(CONTENT_TYPE)
            .send(scimErrorBody(error.status, error.detail, error.scimType));
        const status = error.statusCode;
        if (status !== undefined && status >= 400 && status < 500) {
          const detail =
            status === 415
              ? 'send application/scim+json'
              : status === 413
                ? 'the body is too large'
                : 'the request is not valid';
          return reply
            .code(status)
            .type(CONTENT_TYPE)
            .send(scimErrorBody(status, detail, status === 400 ? 'invalidSyntax' : undefined));
        }
        request.log.error({ err: { message: error.message, name: error.name } }, 'SCIM request failed');
        return reply.code(500).type(CONTENT_TYPE).send(scimErrorBody(500, 'internal error'));
      });
      scim.setNotFoundHandler((_request, reply) =>
        reply.code(404).type(CONTENT_TYPE).send(scimErrorBody(404, 'no such endpoint')),
      );

      scim.addHook('onRequest', async (request, reply) => {
        const header = request.headers.authorization ?? '';
        const token = /^Bearer /i.test(header) ? header.slice(7).trim() : '';
        const id = token === '' ? undefined : await tokens.verify(token, deps.now());
        if (!id) {
          // Refused attempts are on record (and do not say which part was wrong).
          await audit(
            app.security.ctx,
            request,
            'scim.auth_failed',
            request.url.split('?')[0]!,
            {},
            'anonymous',
          );
          reply.header('www-authenticate', 'Bearer realm="monban-scim"');
          return reply
            .code(401)
            .type(CONTENT_TYPE)
            .send(scimErrorBody(401, 'a valid SCIM bearer token is required'));
        }
        request.scimActor = { origin: { actor: `scim:${id}`, source: request.ip, via: 'api' }, scope: 'all' };
        reply.type(CONTENT_TYPE);
      });

      const actor = (request: FastifyRequest) => request.scimActor!;
      const hide = { schema: { hide: true } };
      const created = (reply: FastifyReply, location: string, body: unknown) =>
        reply.code(201).header('location', location).send(body);

      scim.get('/ServiceProviderConfig', hide, async (request) => serviceProviderConfig(baseOf(request)));
      scim.get('/Schemas', hide, async () => list(SCHEMAS, SCHEMAS.length, 1));
      scim.get('/Schemas/:id', hide, async (request) => {
        const found = SCHEMAS.find((s) => s.id === idOf(request));
        if (!found) throw notFound('schema');
        return found;
      });
      scim.get('/ResourceTypes', hide, async () => list(RESOURCE_TYPES, RESOURCE_TYPES.length, 1));
      scim.get('/ResourceTypes/:id', hide, async (request) => {
        const found = RESOURCE_TYPES.find((s) => s.id === idOf(request));
        if (!found) throw notFound('resource type');
        return found;
      });

      scim.get('/Users', hide, async (request) => {
        const p = listParams(request.query);
        const { total, items } = await directory.listUsers(p.conditions, p.startIndex, p.count);
        return list(
          items.map((u) => userResource(u, baseOf(request))),
          total,
          p.startIndex,
        );
      });
      scim.get('/Users/:id', hide, async (request) => {
        const user = await directory.getUser(idOf(request));
        if (!user) throw notFound('user');
        return userResource(user, baseOf(request));
      });
      scim.post('/Users', hide, async (request, reply) => {
        const user = userResource(await directory.createUser(request.body, actor(request)), baseOf(request));
        return created(reply, user.meta.location, user);
      });
      scim.put('/Users/:id', hide, async (request) =>
        userResource(
          await directory.replaceUser(idOf(request), request.body, actor(request)),
          baseOf(request),
        ),
      );
      scim.patch('/Users/:id', hide, async (request) =>
        userResource(
          await directory.patchUser(idOf(request), parsePatch(request.body), actor(request)),
          baseOf(request),
        ),
      );
      scim.delete('/Users/:id', hide, async (request, reply) => {
        await directory.deleteUser(idOf(request), actor(request));
        return reply.code(204).send();
      });

      scim.get('/Groups', hide, async (request) => {
        const p = listParams(request.query);
        const { total, items } = await directory.listGroups(p.conditions, p.startIndex, p.count);
        return list(
          items.map((g) => groupResource(g, baseOf(request), p.withMembers)),
          total,
          p.startIndex,
        );
      });
      scim.get('/Groups/:id', hide, async (request) => {
        const group = await directory.getGroup(idOf(request));
        if (!group) throw notFound('group');
        return groupResource(group, baseOf(request), listParams(request.query).withMembers);
      });
      scim.post('/Groups', hide, async (request, reply) => {
        const group = groupResource(
          await directory.createGroup(request.body, actor(request)),
          baseOf(request),
        );
        return created(reply, group.meta.location, group);
      });
      scim.put('/Groups/:id', hide, async (request) =>
        groupResource(
          await directory.replaceGroup(idOf(request), request.body, actor(request)),
          baseOf(request),
        ),
      );
      scim.patch('/Groups/:id', hide, async (request) =>
        groupResource(
          await directory.patchGroup(idOf(request), parsePatch(request.body), actor(request)),
          baseOf(request),
        ),
      );
      scim.delete('/Groups/:id', hide, async (request, reply) => {
        await directory.deleteGroup(idOf(request), actor(request));
        return reply.code(204).send();
      });
    },
    { prefix: SCIM_PREFIX },
  );
}
