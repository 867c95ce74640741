// Rule: storage and the HTTP layer agree on who is in an operator's scope. The SQL filter, the
// in-memory check and principal.inScope give the same answer for every department/site combination.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { inScope, type Principal } from '../../../src/server/http/principal.ts';
import { scopeAllows } from '../../../src/server/storage/scope.ts';

const name = fc.constantFrom('sales', 'lab', 'it', 'tokyo', 'osaka');
const nullable = fc.option(name, { nil: null });

describe('scope', () => {
  it('scopeAllows is principal.inScope', () => {
    fc.assert(
      fc.property(
        fc.array(name, { maxLength: 3 }),
        fc.array(name, { maxLength: 3 }),
        nullable,
        nullable,
        (departments, sites, department, site) => {
          const principal: Principal = {
            kind: 'operator',
            id: 'op',
            role: 'operator',
            scope: { departments, sites },
          };
          expect(scopeAllows({ departments, sites }, { department, site })).toBe(
            inScope(principal, { department, site }),
          );
        },
      ),
    );
  });
});
