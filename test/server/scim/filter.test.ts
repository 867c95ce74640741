// The SCIM filter parser: what identity providers send parses to the conditions meant, and any other
// text is refused with SCIM's invalidFilter — never another exception, never a silent half-reading.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ScimError } from '../../../src/server/scim/errors.ts';
import { parseFilter } from '../../../src/server/scim/filter.ts';

describe('SCIM filters', () => {
  it('reads what Entra ID and Okta send', () => {
    expect(parseFilter('userName eq "alice@example.com"')).toEqual([
      { path: 'username', value: 'alice@example.com' },
    ]);
    expect(parseFilter('urn:ietf:params:scim:schemas:core:2.0:User:userName eq "a"')).toEqual([
      { path: 'username', value: 'a' },
    ]);
    expect(parseFilter('id eq "g1" and members[value eq "u1"]')).toEqual([
      { path: 'id', value: 'g1' },
      { path: 'members.value', value: 'u1' },
    ]);
    expect(parseFilter('displayName eq "Lab \\"A\\""')).toEqual([{ path: 'displayname', value: 'Lab "A"' }]);
    expect(parseFilter('active eq true')).toEqual([{ path: 'active', value: true }]);
  });

  it('refuses every other operator, joiner and shape with invalidFilter', () => {
    for (const text of [
      'userName co "a"',
      'userName eq "a" or id eq "b"',
      'userName eq',
      'eq "a"',
      '(userName eq "a")',
      'userName eq "a',
      'a[b[c eq "d"]]',
      'userName eq bare',
    ]) {
      let error: unknown;
      try {
        parseFilter(text);
      } catch (e) {
        error = e;
      }
      expect(error, text).toBeInstanceOf(ScimError);
      expect((error as ScimError).scimType, text).toBe('invalidFilter');
    }
  });

  it('never throws anything but a ScimError, whatever the text', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 200 }), (text) => {
        try {
          parseFilter(text);
        } catch (error) {
          expect(error).toBeInstanceOf(ScimError);
        }
      }),
      { numRuns: 2000 },
    );
  });

  it('reads back any value it is given, quoted as JSON', () => {
    const attribute = fc.constantFrom('userName', 'externalId', 'id', 'displayName');
    fc.assert(
      fc.property(
        fc.array(fc.tuple(attribute, fc.string({ maxLength: 40 })), { minLength: 1, maxLength: 4 }),
        (pairs) => {
          const text = pairs.map(([a, v]) => `${a} eq ${JSON.stringify(v)}`).join(' and ');
          expect(parseFilter(text)).toEqual(pairs.map(([a, v]) => ({ path: a.toLowerCase(), value: v })));
        },
      ),
    );
  });
});
