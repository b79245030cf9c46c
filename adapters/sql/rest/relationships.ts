/**
 * Which relationship an embedded resource follows, as PostgREST decides it: from the parent
 * table to `name` (a relation, or a foreign-key column / constraint name of the parent) through
 * a foreign key either way, or through a join table holding foreign keys to both (many-to-many).
 * A hint (`name!hint`) picks among several: a constraint name, a column, or the join table.
 * None found is PGRST200; more than one is PGRST201 (status 300), both listing what exists.
 */
import type { ForeignKey, RestCatalog } from './catalog.js';
import { restFault } from './errors.js';

export type Relationship =
  | { kind: 'to-one'; target: string; fk: ForeignKey }
  | { kind: 'to-many'; target: string; fk: ForeignKey }
  | { kind: 'many-to-many'; target: string; junction: string; toParent: ForeignKey; toTarget: ForeignKey };

/** One relationship of the origin as PostgREST lists them: columns on each side, its constraint or junction. */
interface Candidate {
  rel: Relationship;
  cardinality: 'many-to-one' | 'one-to-many' | 'one-to-one' | 'many-to-many';
  /** A foreign key from a table to itself (it gives a many-to-one and a one-to-many relationship). */
  self: boolean;
  originColumns: string[];
  targetColumns: string[];
}

/**
 * PostgREST's findRel: without a hint, `name` is the target table, a foreign key's constraint
 * name or its single column on the origin's side; with one, `name` is the target table and the
 * hint a constraint, a single column on either side, or the junction of a many-to-many one. A
 * self-reference by the table's name is its one-to-many side, by the key column its many-to-one.
 */
export function resolveRelationship(catalog: RestCatalog, origin: string, name: string, hint: string | undefined): Relationship {
  const candidates = relationshipsOf(catalog, origin);
  const single = (cols: string[], x: string) => cols.length === 1 && cols[0] === x;
  const constraint = (c: Candidate, x: string) => c.rel.kind !== 'many-to-many' && c.rel.fk.name === x;
  const column = (c: Candidate, x: string) => c.rel.kind !== 'many-to-many' && single(c.originColumns, x);
  const referenced = (c: Candidate, x: string) => c.rel.kind !== 'many-to-many' && single(c.targetColumns, x);
  // A view is embedded by its name only, never by a key's constraint or column (PostgREST's rule).
  const toView = (c: Candidate) => c.rel.kind !== 'many-to-many' && c.rel.fk.view === (c.rel.kind === 'to-one' ? 'to' : 'from');
  const matching = candidates.filter((c) => {
    const toMany = c.cardinality === 'one-to-many';
    if (c.self) {
      if (hint === undefined) return (c.rel.target === name && toMany) || (column(c, name) && c.cardinality === 'many-to-one');
      return c.rel.target === name && toMany && referenced(c, hint);
    }
    if (hint === undefined) return c.rel.target === name || (!toView(c) && (constraint(c, name) || column(c, name)));
    return c.rel.target === name && (constraint(c, hint) || column(c, hint) || referenced(c, hint) || (c.rel.kind === 'many-to-many' && c.rel.junction === hint));
  });
  if (matching.length === 1) return matching[0]!.rel;
  if (matching.length === 0) {
    throw restFault('DS_QUERY_INVALID', {
      code: 'PGRST200',
      status: 400,
      message: `Could not find a relationship between '${origin}' and '${name}' in the schema cache`,
      details: `Searched for a foreign key relationship between '${origin}' and '${name}'${hint ? ` using the hint '${hint}'` : ''} in the schema '${catalog.schema}', but no matches were found.`,
      hint: null,
    });
  }
  throw restFault('DS_QUERY_INVALID', {
    code: 'PGRST201',
    status: 300,
    message: `Could not embed because more than one relationship was found for '${origin}' and '${name}'`,
    details: matching.map((c) => describe(origin, c)),
    hint: `Try changing '${name}' to one of the following: ${matching.map((c) => `'${name}!${c.rel.kind === 'many-to-many' ? c.rel.junction : c.rel.fk.name}'`).join(', ')}. Find the desired relationship in the 'details' key.`,
  });
}

/** Every relationship of the origin: its keys to others, others' keys to it, and junctions holding keys to it and to a third. */
function relationshipsOf(catalog: RestCatalog, origin: string): Candidate[] {
  const fks = catalog.foreignKeys;
  const unique = (table: string, cols: string[]) => {
    const pk = catalog.relations.get(table)?.primaryKey ?? [];
    return pk.length === cols.length && cols.every((c) => pk.includes(c));
  };
  const found: Candidate[] = [];
  for (const fk of fks) {
    const self = fk.from === fk.to;
    if (fk.from === origin) {
      found.push({ rel: { kind: 'to-one', target: fk.to, fk }, cardinality: unique(fk.from, fk.fromColumns) ? 'one-to-one' : 'many-to-one', self, originColumns: fk.fromColumns, targetColumns: fk.toColumns });
    }
    if (fk.to === origin) {
      found.push({ rel: { kind: 'to-many', target: fk.from, fk }, cardinality: unique(fk.from, fk.fromColumns) ? 'one-to-one' : 'one-to-many', self, originColumns: fk.toColumns, targetColumns: fk.fromColumns });
    }
  }
  for (const toParent of fks) {
    if (toParent.to !== origin || toParent.from === origin) continue;
    for (const toTarget of fks) {
      if (toTarget.from !== toParent.from || toTarget === toParent || toTarget.to === toParent.from) continue;
      found.push({
        rel: { kind: 'many-to-many', target: toTarget.to, junction: toParent.from, toParent, toTarget },
        cardinality: 'many-to-many',
        self: false,
        originColumns: toParent.toColumns,
        targetColumns: toTarget.toColumns,
      });
    }
  }
  return found;
}

function describe(origin: string, c: Candidate): Record<string, string> {
  const embedding = `${origin} with ${c.rel.target}`;
  if (c.rel.kind === 'many-to-many') {
    const { junction, toParent, toTarget } = c.rel;
    return { cardinality: c.cardinality, embedding, relationship: `${junction} using ${toParent.name}(${toParent.fromColumns.join(', ')}) and ${toTarget.name}(${toTarget.fromColumns.join(', ')})` };
  }
  return { cardinality: c.cardinality, embedding, relationship: `${c.rel.fk.name} using ${origin}(${c.originColumns.join(', ')}) and ${c.rel.target}(${c.targetColumns.join(', ')})` };
}
