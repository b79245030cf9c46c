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

export function resolveRelationship(catalog: RestCatalog, parent: string, name: string, hint: string | undefined): Relationship {
  const found: Relationship[] = [];
  const fks = catalog.foreignKeys;
  for (const fk of fks) {
    // Parent holds the key: embed by target table, by the FK column, or by the constraint name.
    if (fk.from === parent && (fk.to === name || (fk.fromColumns.length === 1 && fk.fromColumns[0] === name) || fk.name === name)) {
      found.push({ kind: 'to-one', target: fk.to, fk });
    }
    // Target holds the key to the parent.
    if (fk.to === parent && (fk.from === name || fk.name === name)) found.push({ kind: 'to-many', target: fk.from, fk });
  }
  if (catalog.relations.has(name)) {
    for (const toParent of fks) {
      if (toParent.to !== parent || toParent.from === name || toParent.from === parent) continue;
      for (const toTarget of fks) {
        if (toTarget.from !== toParent.from || toTarget === toParent || toTarget.to !== name) continue;
        found.push({ kind: 'many-to-many', target: name, junction: toParent.from, toParent, toTarget });
      }
    }
  }
  const matching = hint === undefined ? found : found.filter((r) => matchesHint(r, hint));
  if (matching.length === 1) return matching[0]!;
  if (matching.length === 0) {
    throw restFault('DS_QUERY_INVALID', {
      code: 'PGRST200',
      status: 400,
      message: `Could not find a relationship between '${parent}' and '${name}' in the schema cache`,
      details: `Searched for a foreign key relationship between '${parent}' and '${name}'${hint ? ` using the hint '${hint}'` : ''} in the schema '${catalog.schema}', but no matches were found.`,
      hint: null,
    });
  }
  // A direct relationship wins over a many-to-many one only when a hint asked for it; PostgREST keeps them ambiguous.
  throw restFault('DS_QUERY_INVALID', {
    code: 'PGRST201',
    status: 300,
    message: `Could not embed because more than one relationship was found for '${parent}' and '${name}'`,
    details: JSON.stringify(matching.map(describe)),
    hint: `Try changing '${name}' to one of the following: ${matching.map((r) => `'${name}!${hintFor(r)}'`).join(', ')}. Find the desired relationship in the 'details' key.`,
  });
}

function matchesHint(r: Relationship, hint: string): boolean {
  if (r.kind === 'many-to-many') return r.junction === hint || r.toParent.name === hint || r.toTarget.name === hint;
  return r.fk.name === hint || (r.fk.fromColumns.length === 1 && r.fk.fromColumns[0] === hint) || r.fk.to === hint || r.fk.from === hint && r.kind === 'to-many';
}

function hintFor(r: Relationship): string {
  return r.kind === 'many-to-many' ? r.junction : r.fk.name;
}

function describe(r: Relationship): Record<string, string> {
  if (r.kind === 'many-to-many') return { cardinality: 'many-to-many', embedding: `${r.toParent.to} with ${r.target}`, relationship: `${r.junction} using ${r.toParent.name}(${r.toParent.fromColumns.join(', ')}) and ${r.toTarget.name}(${r.toTarget.fromColumns.join(', ')})` };
  return {
    cardinality: r.kind === 'to-one' ? 'many-to-one' : 'one-to-many',
    embedding: `${r.kind === 'to-one' ? r.fk.from : r.fk.to} with ${r.target}`,
    relationship: `${r.fk.name} using ${r.fk.from}(${r.fk.fromColumns.join(', ')}) and ${r.fk.to}(${r.fk.toColumns.join(', ')})`,
  };
}
