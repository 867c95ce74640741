// Who is calling, and what each role may do. Shared by every route: the one table of permissions.
// Roles follow DESIGN.md R-SEC-2: admin; operator scoped to departments or sites; auditor (read-only);
// maintainer (controllers and alarms).

export const ROLES = ['admin', 'operator', 'auditor', 'maintainer'] as const;
export type Role = (typeof ROLES)[number];

export const PERMISSIONS = [
  'people:read',
  'people:write',
  'credentials:read',
  'credentials:write',
  'site:read', // groups, levels, schedules, holidays, areas, doors
  'site:write',
  'controllers:read',
  'controllers:write',
  'operators:read',
  'operators:write',
  'events:read',
  'alarms:read',
  'alarms:write',
  'audit:read',
  'settings:write',
  'operations:write', // door and area actions: unlock, override, lockdown, threat level, forgive, reset, clear fire
  'reviews:write', // sign off an access review (a checkpoint the next review compares with): auditors too
] as const;
export type Permission = (typeof PERMISSIONS)[number];

/** Empty lists mean "no restriction of that kind"; an operator always has at least one entry. */
export interface Scope {
  departments: readonly string[];
  sites: readonly string[];
}

export interface Principal {
  kind: 'operator' | 'token';
  /** operator id, or token id for API tokens */
  id: string;
  role: Role;
  /** 'all' for roles that are not scoped (admin, auditor, maintainer) */
  scope: Scope | 'all';
  /** API tokens carry an explicit permission subset; operators get their role's permissions */
  tokenPermissions?: readonly Permission[];
}

const ROLE_PERMISSIONS: Record<Role, ReadonlySet<Permission>> = {
  admin: new Set(PERMISSIONS),
  operator: new Set([
    'people:read',
    'people:write',
    'credentials:read',
    'credentials:write',
    'site:read',
    'events:read',
    'alarms:read',
    'operations:write',
  ]),
  auditor: new Set([
    'people:read',
    'credentials:read',
    'site:read',
    'controllers:read',
    'operators:read',
    'events:read',
    'alarms:read',
    'audit:read',
    'reviews:write',
  ]),
  maintainer: new Set([
    'site:read',
    'controllers:read',
    'controllers:write',
    'alarms:read',
    'alarms:write',
    'events:read',
  ]),
};

/** What a principal may do, in the order of PERMISSIONS: the console shows only the actions it may take. */
export function permissionsOf(principal: Principal): Permission[] {
  return PERMISSIONS.filter((p) => hasPermission(principal, p));
}

export function hasPermission(principal: Principal, permission: Permission): boolean {
  if (!ROLE_PERMISSIONS[principal.role].has(permission)) return false;
  return principal.tokenPermissions === undefined || principal.tokenPermissions.includes(permission);
}

/** Whether a scoped principal may see or touch a record that belongs to this department and site. */
export function inScope(
  principal: Principal,
  target: { department?: string | null; site?: string | null },
): boolean {
  if (principal.scope === 'all') return true;
  const { departments, sites } = principal.scope;
  const departmentOk =
    departments.length === 0 || (target.department != null && departments.includes(target.department));
  const siteOk = sites.length === 0 || (target.site != null && sites.includes(target.site));
  return departmentOk && siteOk;
}
