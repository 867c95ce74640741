// The permissions an API token may carry (docs/security-model.md). The API does not list them yet;
// a test checks this list against the server's.
export const PERMISSIONS = [
  'people:read',
  'people:write',
  'credentials:read',
  'credentials:write',
  'site:read',
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
  'operations:write',
] as const;

export const ROLES = ['admin', 'operator', 'auditor', 'maintainer'] as const;
