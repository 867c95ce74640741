// People (利用者). Operators see and change only people inside their departments/sites: lists are
// filtered, a person outside answers 404 (existence does not leak), and nobody can create a person
// outside their scope or move one out of it (403 OUT_OF_SCOPE).

import { z } from 'zod';
import { ApiError } from '../http/errors.ts';
import type { Person } from '../storage/people.ts';
import { endpoint } from './endpoint.ts';
import {
  booleanQuery,
  idParams,
  idSchema,
  iso,
  isoOrNull,
  isoOut,
  labelSchema,
  nameSchema,
  pageOf,
  pageQuery,
  stamps,
  uniqueIds,
} from './schemas.ts';

export const personSchema = z
  .object({
    id: idSchema,
    name: z.string(),
    department: z.string().nullable(),
    site: z.string().nullable(),
    active: z
      .boolean()
      .meta({ description: 'false once the person has left: every credential stops working' }),
    leftAt: isoOut.nullable(),
    groups: z.array(z.string()),
    levels: z.array(z.string()).meta({ description: 'access levels granted directly (besides groups)' }),
    ...stamps,
  })
  .meta({ id: 'Person' });

const personFields = {
  name: nameSchema,
  department: labelSchema.nullable(),
  site: labelSchema.nullable(),
  active: z.boolean(),
  groups: uniqueIds('group'),
  levels: uniqueIds('level'),
};

const createBody = z
  .strictObject({
    id: idSchema,
    ...personFields,
    department: personFields.department.default(null),
    site: personFields.site.default(null),
    active: personFields.active.default(true),
    groups: personFields.groups.default([]),
    levels: personFields.levels.default([]),
  })
  .meta({ id: 'PersonCreate' });

const patchBody = z.strictObject(z.object(personFields).partial().shape).meta({ id: 'PersonPatch' });

export const toPersonOut = (p: Person) => ({
  ...p,
  leftAt: isoOrNull(p.leftAt),
  createdAt: iso(p.createdAt),
  updatedAt: iso(p.updatedAt),
});

const notFound = (id: string) => new ApiError('PERSON_NOT_FOUND', `no person '${id}'`);

export const listPeople = endpoint({
  summary: 'List people (only those inside your scope)',
  query: z.object({
    department: z.string().optional(),
    site: z.string().optional(),
    active: booleanQuery.optional(),
    group: idSchema.optional(),
    ...pageQuery,
  }),
  response: pageOf(personSchema),
  async handle({ query, repos, scope }) {
    const page = await repos.people.list({ ...query, scope });
    return { items: page.items.map(toPersonOut), next: page.next ?? null };
  },
});

export const getPerson = endpoint({
  summary: 'Get a person',
  params: idParams,
  response: personSchema,
  async handle({ params, repos, scope }) {
    const person = await repos.people.get(params.id, scope);
    if (!person) throw notFound(params.id);
    return toPersonOut(person);
  },
});

export const createPerson = endpoint({
  summary: 'Create a person',
  body: createBody,
  status: 201,
  response: personSchema,
  async handle({ body, services, actor }) {
    return toPersonOut(await services.people.create(body, actor));
  },
});

export const updatePerson = endpoint({
  summary: 'Change a person (mark as left with active: false)',
  description: 'Only the fields given change; `groups` and `levels` replace the old lists whole.',
  params: idParams,
  body: patchBody,
  response: personSchema,
  async handle({ params, body, services, actor }) {
    return toPersonOut(await services.people.update(params.id, body, actor));
  },
});

export const deletePerson = endpoint({
  summary: 'Delete a person and their credentials (their events stay)',
  params: idParams,
  status: 204,
  async handle({ params, services, actor }) {
    if (!(await services.people.remove(params.id, actor))) throw notFound(params.id);
    return undefined;
  },
});
