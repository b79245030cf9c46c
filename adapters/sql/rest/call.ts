/**
 * `/rpc/<fn>` (../../rest-plan.ts RestCall) as ONE Postgres statement: the function is called
 * once, by named arguments read from one JSON parameter (json_to_record, so every value meets
 * its argument type's input function), inside a materialised CTE; the select tree, filters,
 * order and paging of a table read (compile.ts) then work on the rows it gave.
 */
import type { RestCall, RestCallResult, RestFilter } from '../../rest-plan.js';
import type { SqlStatement } from '../compile.js';
import type { Relation, RestCatalog, Routine } from './catalog.js';
import { Builder, quote } from './builder.js';
import { resource } from './resource.js';
import { badRequest, restFault } from './errors.js';

export interface CompiledCall {
  statement: SqlStatement;
  returns: RestCallResult['returns'];
}

const SOURCE = 'pgrst_source';

export function compileRestCall(catalog: RestCatalog, call: RestCall): CompiledCall {
  const candidates = call.candidates ?? [];
  const given = new Set([...Object.keys(call.args), ...candidates.map((c) => c.name)]);
  const routine = pick(catalog, call, given);
  const names = new Set(routine.args.map((a) => a.name));
  const args: Record<string, unknown> = { ...call.args };
  const filters: RestFilter[] = [];
  for (const c of candidates) {
    if (names.has(c.name)) args[c.name] = c.value;
    else if (c.filter) filters.push(c.filter);
    else throw badRequest(`"${c.name}=${c.value.slice(0, 60)}" is neither an argument of ${routine.name} nor column=operator.value`);
  }
  const b = new Builder(catalog, call.rules);
  const invocation = invoke(b, catalog.schema, routine, args, call.body);
  const root = { ...call.root, where: [...call.root.where, ...filters] };

  if (routine.returns === 'void' || (routine.returns === 'scalar' && !routine.set)) {
    if (root.where.length > 0 || root.order?.length) throw badRequest(`${routine.name} returns ${routine.returns === 'void' ? 'nothing' : 'one value'}: there are no rows to filter or order`);
    const value = routine.returns === 'void' ? "''" : `COALESCE((SELECT to_json(pgrst_scalar) FROM ${SOURCE}), 'null')::text`;
    return {
      returns: routine.returns === 'void' ? 'void' : 'scalar',
      statement: { sql: `WITH ${SOURCE} AS MATERIALIZED (SELECT ${invocation.call} AS pgrst_scalar${invocation.from}) SELECT ${value} AS body, (SELECT count(*) FROM ${SOURCE}) AS affected`, params: b.params },
    };
  }
  if (routine.returns === 'scalar') {
    if (root.where.length > 0 || root.order?.length) throw badRequest(`${routine.name} returns a set of values, not rows: there are no columns to filter or order by`);
    const page = `SELECT pgrst_scalar FROM ${SOURCE}${root.limit !== undefined ? ` LIMIT ${root.limit}` : ''}${root.offset ? ` OFFSET ${root.offset}` : ''}`;
    return {
      returns: 'set',
      statement: {
        sql: `WITH ${SOURCE} AS MATERIALIZED (SELECT s.pgrst_scalar FROM ${invocation.lateral} AS s(pgrst_scalar)) SELECT COALESCE(json_agg(p.pgrst_scalar), '[]')::text AS body, count(*) AS returned, (SELECT count(*) FROM ${SOURCE}) AS affected, (SELECT count(*) FROM ${SOURCE}) AS total FROM (${page}) AS p`,
        params: b.params,
      },
    };
  }
  if (routine.returns === 'record' && routine.columns.length === 0) {
    throw restFault('DS_UNSUPPORTED', { code: 'PGRST100', status: 400, message: `${routine.name} returns records of no declared shape: declare OUT or TABLE columns to call it` });
  }
  const rows = rowsOf(catalog, routine);
  const page = resource(b, rows, root, { where: [], source: SOURCE });
  const body = routine.set ? "COALESCE(json_agg(p.v), '[]'::json)::text" : "COALESCE(json_agg(p.v) -> 0, 'null'::json)::text";
  let sql = `WITH ${SOURCE} AS MATERIALIZED (SELECT r.* FROM ${invocation.lateral} AS r) SELECT ${body} AS body, count(*) AS returned, (SELECT count(*) FROM ${SOURCE}) AS affected`;
  if (call.count) sql += `, (SELECT count(*) FROM (${resource(b, rows, { ...root, order: [] }, { where: [], source: SOURCE }, false).sql}) AS c) AS total`;
  return { returns: routine.set ? 'set' : 'object', statement: { sql: `${sql} FROM (${page.sql}) AS p`, params: b.params } };
}

/** The rows' shape: the table whose row type the function returns (its relationships embed), or its own columns. */
function rowsOf(catalog: RestCatalog, routine: Routine): Relation {
  const table = routine.relation ? catalog.relations.get(routine.relation) : undefined;
  return table ?? { name: routine.name, columns: new Map(routine.columns), defaults: new Map(), primaryKey: [] };
}

/**
 * The overload the given names call: every name one of its arguments, every argument without
 * a default given; a function of one unnamed json/jsonb argument takes a body that is no object.
 * None is PGRST202 (404), more than one PGRST203 (300), as PostgREST answers.
 */
function pick(catalog: RestCatalog, call: RestCall, given: Set<string>): Routine {
  const overloads = catalog.routines.get(call.fn) ?? [];
  const singleJson = (r: Routine) => r.args.length === 1 && r.args[0]!.name === '' && /^jsonb?$/.test(r.args[0]!.type);
  const matching = overloads.filter((r) => {
    if (call.body !== undefined) return singleJson(r);
    const names = new Set(r.args.map((a) => a.name));
    const required = r.args.slice(0, r.args.length - r.defaults);
    const fromQuery = (call.candidates ?? []).map((c) => c.name);
    return Object.keys(call.args).every((n) => names.has(n)) && required.every((a) => a.name !== '' && (a.name in call.args || fromQuery.includes(a.name)));
  });
  if (matching.length === 1) return matching[0]!;
  const listed = [...given].sort().join(', ');
  const qualified = `${catalog.schema}.${call.fn}`;
  if (matching.length === 0) {
    const signature = given.size === 0 ? `${qualified} without parameters` : `${qualified}(${listed})`;
    throw restFault('DS_QUERY_INVALID', {
      code: 'PGRST202',
      status: 404,
      message: `Could not find the function ${signature} in the schema cache`,
      details: `Searched for the function ${qualified} ${given.size === 0 ? 'without parameters' : `with parameters ${listed}`} or with a single unnamed json/jsonb parameter, but no matches were found in the schema cache.`,
      hint: null,
    });
  }
  // The one taking the most of the given names wins when it is alone in that; then the one taking no more.
  const fit = (r: Routine) => r.args.filter((a) => given.has(a.name)).length;
  const best = Math.max(...matching.map(fit));
  const top = matching.filter((r) => fit(r) === best);
  const exact = top.filter((r) => r.args.length === best);
  if (top.length === 1 || exact.length === 1) return (top.length === 1 ? top : exact)[0]!;
  throw restFault('DS_QUERY_INVALID', {
    code: 'PGRST203',
    status: 300,
    message: `Could not choose the best candidate function between: ${matching.map((r) => `${qualified}(${r.args.map((a) => `${a.name} => ${a.type}`).join(', ')})`).join(', ')}`,
    details: null,
    hint: 'Try renaming the parameters or the function itself in the database so function overloading can be resolved',
  });
}

/**
 * The call expression and where its arguments come from: one JSON parameter read by
 * json_to_record with each given argument's type; arguments not given take their defaults.
 */
function invoke(b: Builder, schema: string, routine: Routine, args: Record<string, unknown>, body: unknown): { call: string; from: string; lateral: string } {
  const fn = `${quote(schema)}.${quote(routine.name)}`;
  if (body !== undefined) {
    const call = `${fn}(${b.bind(JSON.stringify(body))}::${routine.args[0]!.type})`;
    return { call, from: '', lateral: call };
  }
  const given = routine.args.filter((a) => a.name in args);
  if (given.length === 0) return { call: `${fn}()`, from: '', lateral: `${fn}()` };
  const record = `json_to_record(${b.bind(JSON.stringify(args))}::json) AS pgrst_args(${given.map((a) => `${quote(a.name)} ${a.type}`).join(', ')})`;
  const call = `${fn}(${given.map((a) => `${a.variadic ? 'VARIADIC ' : ''}${quote(a.name)} := pgrst_args.${quote(a.name)}`).join(', ')})`;
  return { call, from: ` FROM ${record}`, lateral: `${record} CROSS JOIN LATERAL ${call}` };
}
