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
  /** fields that may be left out on create, filled in by `prepareCreate` */
  optionalOnCreate?: readonly string[];
  /** completes a create body before it is stored (a default that depends on other fields) */
  prepareCreate?: (body: Record<string, unknown> & { id: string }) => Record<string, unknown>;
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
      def.defaults && k in def.defaults
        ? (v as z.ZodType).default(def.defaults[k] as never)
        : def.optionalOnCreate?.includes(k)
          ? (v as z.ZodType).optional()
          : v,
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
      operationId: `list${def.schemaId}s`,
      summary: `List ${def.resource}s`,
      query: z.strictObject({ ...(def.filters ?? {}), ...pageQuery }),
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
      operationId: `get${def.schemaId}`,
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
      operationId: `create${def.schemaId}`,
      summary: `Create a ${def.resource}`,
      body: createBody,
      status: 201,
      response: out,
      async handle({ body, services, actor }) {
        const input = def.prepareCreate
          ? def.prepareCreate(body as Record<string, unknown> & { id: string })
          : body;
        return toOut(await def.service(services).create(input as unknown as In, actor));
      },
    }),
    update: endpoint({
      operationId: `update${def.schemaId}`,
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
      operationId: `delete${def.schemaId}`,
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
