// Stand-in resource routes shaped like the real ones (a permission check, then a scope check on the
// record's department and site), so role tests can run against the security plugin on its own.
import type { FastifyPluginAsync } from 'fastify';
import { audit } from '../../../../src/server/auth/http.ts';
import { ApiError } from '../../../../src/server/http/errors.ts';
import { principalWith } from '../../../../src/server/http/guard.ts';
import { inScope } from '../../../../src/server/http/principal.ts';

export interface FixturePerson {
  id: string;
  department: string;
  site: string;
}

export function fixturePeople(): FixturePerson[] {
  return [
    { id: 'p-sales-tokyo', department: 'sales', site: 'tokyo' },
    { id: 'p-lab-osaka', department: 'lab', site: 'osaka' },
  ];
}

export const fixtureRoutes: FastifyPluginAsync<{ people: FixturePerson[] }> = async (app, { people }) => {
  app.get('/api/fixture/people', async (request) => {
    const principal = principalWith(request, 'people:read');
    return people.filter((p) => inScope(principal, p));
  });
  app.get<{ Params: { id: string } }>('/api/fixture/people/:id', async (request) => {
    const principal = principalWith(request, 'people:read');
    const person = people.find((p) => p.id === request.params.id);
    if (!person || !inScope(principal, person)) throw new ApiError('NOT_FOUND', 'no such person');
    return person;
  });
  app.post<{ Body: FixturePerson }>('/api/fixture/people', async (request, reply) => {
    const principal = principalWith(request, 'people:write');
    if (!inScope(principal, request.body)) throw new ApiError('FORBIDDEN', 'outside your scope');
    people.push({ ...request.body });
    await audit(app.security.ctx, request, 'person.create', `person:${request.body.id}`);
    return reply.code(201).send(request.body);
  });
  app.delete<{ Params: { id: string } }>('/api/fixture/people/:id', async (request) => {
    const principal = principalWith(request, 'people:write');
    const index = people.findIndex((p) => p.id === request.params.id);
    if (index < 0 || !inScope(principal, people[index]!)) throw new ApiError('NOT_FOUND', 'no such person');
    people.splice(index, 1);
    return { deleted: true };
  });
  app.put('/api/fixture/settings', async (request) => {
    principalWith(request, 'settings:write');
    return { saved: true };
  });
};
