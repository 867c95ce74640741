// The operator actions' API checks, in process (no controller link): role and scope before anything
// is recorded, validation with clear 4xx, and rules that would span controllers refused when the site
// is configured. What the controllers do is shown with real processes in test/integration/operations.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Api, startApi } from '../api/support.ts';

describe('operator actions: who may ask, and what is refused', () => {
  let api: Api;
  const actions = async () =>
    (await api.store.db.selectFrom('operator_actions').selectAll().execute()).length;

  beforeAll(async () => {
    api = await startApi();
    const ok = async (path: string, body: unknown) => {
      const r = await api.post('admin', path, body);
      expect(r.statusCode, `${path} ${r.body}`).toBeLessThan(300);
    };
    await ok('/api/sites', { id: 'tokyo', name: 'Tokyo', timezone: 'Asia/Tokyo', topic: 'tokyo' });
    await ok('/api/sites', { id: 'osaka', name: 'Osaka', timezone: 'Asia/Tokyo', topic: 'osaka' });
    await ok('/api/controllers', { id: 'ctl-t', name: 'Tokyo', site: 'tokyo' });
    await ok('/api/controllers', { id: 'ctl-o', name: 'Osaka', site: 'osaka' });
    await ok('/api/controllers', { id: 'ctl-o2', name: 'Osaka 2', site: 'osaka' });
    await ok('/api/areas', { id: 'hall', name: 'Hall', site: 'osaka' });
    await ok('/api/doors', {
      id: 'T1',
      name: 'T1',
      fromArea: 'outside',
      toArea: 'hall',
      controllerId: 'ctl-t',
    });
    await ok('/api/doors', {
      id: 'O1',
      name: 'O1',
      fromArea: 'outside',
      toArea: 'hall',
      controllerId: 'ctl-o',
    });
    await ok('/api/doors', { id: 'X1', name: 'X1', fromArea: 'outside', toArea: 'hall', controllerId: null });
  });

  afterAll(async () => {
    await api.close();
  });

  it('needs operations:write, and a site in the operator’s scope', async () => {
    expect((await api.post('nobody', '/api/actions', { action: 'unlock-door', door: 'T1' })).statusCode).toBe(
      401,
    );
    for (const who of ['auditor', 'maintainer'] as const) {
      const r = await api.post(who, '/api/actions', { action: 'unlock-door', door: 'T1' });
      expect(r.statusCode).toBe(403);
      expect(r.json().error.code).toBe('FORBIDDEN');
    }
    const outside = await api.post('tokyoOp', '/api/actions', { action: 'unlock-door', door: 'O1' });
    expect(outside.statusCode).toBe(403);
    expect(outside.json().error.code).toBe('OUT_OF_SCOPE');
    const lockdown = await api.post('tokyoOp', '/api/actions', {
      action: 'set-lockdown',
      active: true,
      site: 'osaka',
    });
    expect(lockdown.json().error.code).toBe('OUT_OF_SCOPE');
    // In scope, it gets as far as the controller link, which this server does not have.
    const inScope = await api.post('tokyoOp', '/api/actions', { action: 'unlock-door', door: 'T1' });
    expect(inScope.statusCode).toBe(503);
    expect(inScope.json().error.code).toBe('NO_CONTROLLER_LINK');
    expect(await actions()).toBe(0);
  });

  it('names what is wrong in the request and records nothing', async () => {
    const cases: [unknown, number, string, string?][] = [
      [{ action: 'unlock-door', door: 'NOPE' }, 400, 'UNKNOWN_REFERENCE', 'body.door'],
      [{ action: 'unlock-door', door: 'X1' }, 409, 'NOT_OPERABLE'],
      [{ action: 'override-door', door: 'T1', mode: 'unlocked', minutes: -1 }, 400, 'INVALID_INPUT'],
      [{ action: 'set-threat-level', level: 1.5 }, 400, 'INVALID_INPUT'],
      [{ action: 'set-lockdown', active: true, site: 'nowhere' }, 400, 'UNKNOWN_REFERENCE', 'body.site'],
      [{ action: 'forgive-antipassback', person: 'ghost' }, 400, 'UNKNOWN_REFERENCE', 'body.person'],
      [{ action: 'reset-area', area: 'outside' }, 400, 'UNKNOWN_REFERENCE', 'body.area'],
      [{ action: 'unlock-door', door: 'T1', extra: 1 }, 400, 'INVALID_INPUT'],
    ];
    for (const [body, status, code, field] of cases) {
      const r = await api.post('admin', '/api/actions', body);
      expect(r.statusCode, JSON.stringify(body)).toBe(status);
      expect(r.json().error.code, JSON.stringify(body)).toBe(code);
      if (field) expect(r.json().error.field).toBe(field);
    }
    expect(await actions()).toBe(0);
    expect((await api.get('admin', '/api/actions/act_nope')).json().error.code).toBe('ACTION_NOT_FOUND');
    expect((await api.get('admin', '/api/actions')).json()).toEqual({ items: [], next: null });
  });

  it('refuses an interlock group or an occupancy maximum that would span controllers', async () => {
    const interlock = await api.patch('admin', '/api/doors/T1', { rules: { interlock: 'airlock' } });
    expect(interlock.statusCode).toBe(200); // one door, one controller: fine
    const spanning = await api.patch('admin', '/api/doors/O1', { rules: { interlock: 'airlock' } });
    expect(spanning.statusCode).toBe(400);
    expect(spanning.json().error).toMatchObject({ code: 'INVALID_INPUT', field: 'body.rules.interlock' });
    expect(spanning.json().error.message).toMatch(
      /interlock group airlock would span controllers ctl-o and ctl-t/,
    );
    const occupancy = await api.patch('admin', '/api/areas/hall', { maxOccupancy: 10 });
    expect(occupancy.statusCode).toBe(400);
    expect(occupancy.json().error.message).toMatch(/occupancy maximum of area hall would span controllers/);
    // The action changes nothing without a controller link to carry it.
    const action = await api.post('admin', '/api/actions', {
      action: 'set-occupancy-limit',
      area: 'hall',
      maxOccupancy: 3,
    });
    expect(action.statusCode).toBe(503);
    expect(await actions()).toBe(0);
    await api.patch('admin', '/api/doors/T1', { rules: null });
    expect((await api.get('admin', '/api/areas/hall')).json().maxOccupancy).toBeNull();
    // Moving O1 to T1's controller makes the limit enforceable.
    expect((await api.patch('admin', '/api/doors/O1', { controllerId: 'ctl-t' })).statusCode).toBe(200);
    expect((await api.patch('admin', '/api/areas/hall', { maxOccupancy: 10 })).statusCode).toBe(200);
    const away = await api.patch('admin', '/api/doors/O1', { controllerId: 'ctl-o2' });
    expect(away.statusCode).toBe(400);
    expect(away.json().error.field).toBe('body.controllerId');
  });
});
