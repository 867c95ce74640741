// Lists the console keeps because the API does not serve them yet must equal the server's own.
import { describe, expect, it } from 'vitest';
import { PERMISSIONS, ROLES } from '../../src/server/http/principal.ts';
import { WEEKDAYS as SERVER_WEEKDAYS } from '../../src/server/storage/schedules.ts';
import { PERMISSIONS as CONSOLE_PERMISSIONS, ROLES as CONSOLE_ROLES } from '../../src/web/lib/permissions.ts';
import { WEEKDAYS } from '../../src/web/lib/week-grid.ts';

describe('console vocabulary', () => {
  it('the permissions offered for API tokens are the server’s', () => {
    expect([...CONSOLE_PERMISSIONS]).toEqual([...PERMISSIONS]);
  });
  it('roles and weekdays are the server’s, in order', () => {
    expect([...CONSOLE_ROLES]).toEqual([...ROLES]);
    expect([...WEEKDAYS]).toEqual([...SERVER_WEEKDAYS]);
  });
});
