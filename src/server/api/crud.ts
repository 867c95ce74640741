// The five endpoints of a plain site resource (list, get, create, change, delete), built from its
// schemas. People and credentials have their own files: they are scoped and hold secrets.

import { z } from 'zod';
import { ApiError, type ApiErrorCode } from '../http/errors.ts';
import type { Services } from '../services/index.ts';
import type { SiteRecordService } from '../services/site.ts';
import type { Repositories } from '../storage/index.ts';
import type { ListOptions, ResourceStore, Stamps } from '../storage/resource.ts';
import { type Endpoint, endpoint } from './endpoint.ts';
import { idParams, idSchema, iso, isoOut, pageOf, pageQuery } from './schemas.ts';

export interface CrudEndpoints {
  list: Endpoint;
  get: Endpoint;
  create: Endpoint;
  update: Endpoint;
  remove: Endpoint;
}

export function crud<In extends { id: string }>(def: {
  /** singular, for messages: 'door' */
  resource: string;
  /** OpenAPI component name: 'Door' */
  schemaId: string;
  notFound: ApiErrorCode;
  /** reads */
  store: (repos: Repositories) => ResourceStore<In>;
  /** writes */
  service: (services: Services) => SiteRecordService<In>;
  /** the fields of a record (without id and times), without defaults */
  fields: z.ZodRawShape;
  /** values of fields that may be left out on create */
  defaults?: Record<string, unknown>;
  /** output fields; default: the input fields' output types */
  output: z.ZodRawShape;
  /** list filters (query name → schema), applied by the store */
  filters?: Record<string, z.ZodType<string | undefined>>;
  /** maps stored values to the wire (e.g. times); default identity */
  toOut?: (record: In & Stamps) => Record<string, unknown>;
}): CrudEndpoints {
  const out = z
    .object({ id: idSchema, ...def.output, createdAt: isoOut, updatedAt: isoOut })
    .meta({ id: def.schemaId });
  const toOut = (r: In & Stamps) => ({
    ...r,
    ...def.toOut?.(r),
    createdAt: iso(r.createdAt),
    updatedAt: iso(r.updatedAt),
  });
  const withDefaults = Object.fromEntries(
    Object.entries(def.fields).map(([k, v]) => [
      k,
      def.defaults && k in def.defaults ? (v as z.ZodType).default(def.defaults[k] as never) : v,
    ]),
  ) as z.ZodRawShape;
  const createBody = z.strictObject({ id: idSchema, ...withDefaults }).meta({ id: `${def.schemaId}Create` });
  const partial = Object.fromEntries(
    Object.entries(def.fields).map(([k, v]) => [k, (v as z.ZodType).optional()]),
  ) as z.ZodRawShape;
  const patchBody = z.strictObject(partial).meta({ id: `${def.schemaId}Patch` });
  const notFound = (id: string) => new ApiError(def.notFound, `no ${def.resource} '${id}'`);

  return {
    list: endpoint({
      summary: `List ${def.resource}s`,
      query: z.object({ ...(def.filters ?? {}), ...pageQuery }),
      response: pageOf(out),
      async handle({ query, repos }) {
        const { cursor, limit, ...filter } = query as { cursor?: string; limit: number } & Record<
          string,
          string
        >;
        const options: ListOptions = { cursor, limit, filter };
        const page = await def.store(repos).list(options);
        return { items: page.items.map(toOut), next: page.next ?? null };
      },
    }),
    get: endpoint({
      summary: `Get a ${def.resource}`,
      params: idParams,
      response: out,
      async handle({ params, repos }) {
        const record = await def.store(repos).get(params.id);
        if (!record) throw notFound(params.id);
        return toOut(record);
      },
    }),
    create: endpoint({
      summary: `Create a ${def.resource}`,
      body: createBody,
      status: 201,
      response: out,
      async handle({ body, services, actor }) {
        return toOut(await def.service(services).create(body as unknown as In, actor));
      },
    }),
    update: endpoint({
      summary: `Change a ${def.resource}`,
      description: 'Only the fields given change; lists replace the old ones whole.',
      params: idParams,
      body: patchBody,
      response: out,
      async handle({ params, body, services, actor }) {
        const patch = body as Partial<Omit<In, 'id'>>;
        return toOut(await def.service(services).update(params.id, patch, actor));
      },
    }),
    remove: endpoint({
      summary: `Delete a ${def.resource} (refused while other records use it)`,
      params: idParams,
      status: 204,
      async handle({ params, services, actor }) {
        await def.service(services).remove(params.id, actor);
        return undefined;
      },
    }),
  };
}
