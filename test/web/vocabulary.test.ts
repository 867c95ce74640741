// Lists the console keeps because the API does not serve them yet must equal the server's own.
import { describe, expect, it } from 'vitest';
import { PERMISSIONS, ROLES } from '../../src/server/http/principal.ts';
import { WEEKDAYS as SERVER_WEEKDAYS } from '../../src/server/storage/schedules.ts';
import { WEEKDAYS } from '../../src/web/lib/week-grid.ts';
import { PERMISSIONS as CONSOLE_PERMISSIONS } from '../../src/web/routes/admin/tokens-page.tsx';

describe('console vocabulary', () => {
  it('the permissions offered for API tokens are the server’s', () => {
    expect([...CONSOLE_PERMISSIONS]).toEqual([...PERMISSIONS]);
  });
  it('weekdays are the server’s, in order', () => {
    expect([...WEEKDAYS]).toEqual([...SERVER_WEEKDAYS]);
    expect(ROLES.length).toBe(4);
  });
});
