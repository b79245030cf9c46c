/**
 * The query AST as a MongoDB filter document, with SQL's null semantics: `not` is pushed down
 * to the leaves (negation normal form), and a negated comparison also excludes null/missing
 * fields, so a row matches exactly when the SQL filter would be true.
 */
import { likeToRegexSource } from './pattern.js';
import type { Filter, Scalar } from './query.js';

export type MongoDocument = Record<string, unknown>;

/** Where a column lives in the document and how a canonical value is stored there. */
export interface MongoFields {
  field(column: string): string;
  value(column: string, value: Scalar): unknown;
}

const MATCH_NOTHING: MongoDocument = { _id: { $exists: false } };
const RANGE = { gt: ['$gt', '$lte'], gte: ['$gte', '$lt'], lt: ['$lt', '$gte'], lte: ['$lte', '$gt'] } as const;

export function toMongoFilter(filter: Filter | undefined, fields: MongoFields, negated = false): MongoDocument {
  if (filter === undefined) return {};
  switch (filter.op) {
    case 'and':
    case 'or': {
      const conjunction = (filter.op === 'and') !== negated;
      if (filter.filters.length === 0) return conjunction ? {} : MATCH_NOTHING;
      const parts = filter.filters.map((f) => toMongoFilter(f, fields, negated));
      return conjunction ? { $and: parts } : { $or: parts };
    }
    case 'not':
      return toMongoFilter(filter.filter, fields, !negated);
    case 'is': {
      const field = fields.field(filter.column);
      const value = filter.value === null ? null : fields.value(filter.column, filter.value);
      return { [field]: negated ? { $ne: value } : value };
    }
    case 'in': {
      const field = fields.field(filter.column);
      const values = filter.values.map((v) => fields.value(filter.column, v));
      return { [field]: negated ? { $nin: [...values, null] } : { $in: values } };
    }
    case 'like':
    case 'ilike': {
      const field = fields.field(filter.column);
      const regex = { $regex: `^${likeToRegexSource(String(filter.value))}$`, $options: filter.op === 'ilike' ? 'si' : 's' };
      return { [field]: negated ? { $not: regex, $ne: null } : regex };
    }
    case 'eq':
    case 'neq': {
      const field = fields.field(filter.column);
      const equal = (filter.op === 'eq') !== negated;
      if (filter.value === null) return { [field]: equal ? null : { $ne: null } };
      const value = fields.value(filter.column, filter.value);
      return { [field]: equal ? value : { $nin: [value, null] } };
    }
    default: {
      const [positive, negative] = RANGE[filter.op];
      return { [fields.field(filter.column)]: { [negated ? negative : positive]: fields.value(filter.column, filter.value) } };
    }
  }
}
