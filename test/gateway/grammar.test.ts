import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseQuery, parseRange } from '../../gateway/rest/grammar.js';
import { MoboError } from '../../runtime/errors.js';

const q = (s: string) => parseQuery(new URLSearchParams(s));

describe('REST query grammar', () => {
  it('reads the PostgREST spelling into the AST', () => {
    expect(q('select=id,name&age=gte.18&or=(a.eq.1,b.is.null)&order=created_at.desc.nullslast,id&limit=10&offset=20')).toEqual({
      columns: ['id', 'name'],
      filters: [
        { op: 'gte', column: 'age', value: '18' },
        { op: 'or', filters: [{ op: 'eq', column: 'a', value: '1' }, { op: 'is', column: 'b', value: null }] },
      ],
      order: [
        { column: 'created_at', direction: 'desc', nulls: 'last' },
        { column: 'id', direction: 'asc' },
      ],
      limit: 10,
      offset: 20,
    });
  });

  it('reads the simple spelling into the same AST', () => {
    expect(q('role=admin&sort=created_at:desc,name&page=2&limit=50&fields=id,name&q=alice')).toEqual({
      filters: [{ op: 'eq', column: 'role', value: 'admin' }],
      order: [
        { column: 'created_at', direction: 'desc' },
        { column: 'name', direction: 'asc' },
      ],
      limit: 50,
      offset: 50,
      columns: ['id', 'name'],
      search: 'alice',
    });
  });

  it('handles negation, lists with quoted commas, nested logic and is.true', () => {
    expect(q('status=not.in.(a,"b,c")&and=(x.gt.1,or(y.lt.2,z.not.eq.3))&flag=is.true').filters).toEqual([
      { op: 'not', filter: { op: 'in', column: 'status', values: ['a', 'b,c'] } },
      {
        op: 'and',
        filters: [
          { op: 'gt', column: 'x', value: '1' },
          { op: 'or', filters: [{ op: 'lt', column: 'y', value: '2' }, { op: 'not', filter: { op: 'eq', column: 'z', value: '3' } }] },
        ],
      },
      { op: 'is', column: 'flag', value: true },
    ]);
  });

  it('keeps values with dots and operators later in the string as plain values', () => {
    expect(q('email=eq.a.b@example.com&name=jo.eq.x').filters).toEqual([
      { op: 'eq', column: 'email', value: 'a.b@example.com' },
      { op: 'eq', column: 'name', value: 'jo.eq.x' },
    ]);
  });

  it.each([
    ['limit=abc', 'limit must be a whole number'],
    ['limit=5000', 'limit is at most'],
    ['or=(a.eq.1', 'logic group'],
    ['age=is.maybe', 'is. takes null'],
    ['order=id.sideways', 'Unknown sort modifier'],
    ['select=author(name)', 'Embedded resources'],
    ['page=0', 'page starts at 1'],
    ['x=in.1,2', 'in. takes a list'],
  ])('refuses %s with DS_QUERY_INVALID', (input, message) => {
    expect(() => q(input)).toThrow(expect.objectContaining({ code: 'DS_QUERY_INVALID', message: expect.stringContaining(message) }));
  });

  it('reads Range headers', () => {
    expect(parseRange('0-9')).toEqual({ offset: 0, limit: 10 });
    expect(parseRange('20-')).toEqual({ offset: 20 });
    expect(parseRange(undefined)).toBeUndefined();
    expect(() => parseRange('9-0')).toThrow(expect.objectContaining({ code: 'DS_QUERY_INVALID' }));
    expect(parseRange('0-999')).toEqual({ offset: 0, limit: 1_000 });
    expect(() => parseRange('0-1000')).toThrow(expect.objectContaining({ code: 'DS_QUERY_INVALID', details: { max: 1_000 } }));
  });

  it('never fails with anything but a typed error, whatever the query string (fuzzed)', () => {
    const token = fc.stringMatching(/^[a-z(),."*:!%\\ -]{0,12}$/);
    const pair = fc.tuple(fc.oneof(fc.constantFrom('select', 'order', 'sort', 'limit', 'offset', 'page', 'or', 'and', 'not.or', 'q', 'fields'), token), fc.oneof(token, fc.string()));
    fc.assert(
      fc.property(fc.array(pair, { maxLength: 6 }), (pairs) => {
        const params = new URLSearchParams();
        for (const [k, v] of pairs) params.append(k, v);
        try {
          parseQuery(params);
        } catch (err) {
          expect(err).toBeInstanceOf(MoboError);
          expect((err as MoboError).code).toBe('DS_QUERY_INVALID');
        }
      }),
      { numRuns: 2_000 },
    );
  });
});
