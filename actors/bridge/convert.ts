import type { ColumnInfo, ColumnType, Row } from '../../adapters/index.js';
import { MoboError } from '../../runtime/index.js';

/**
 * A value of a source column in the form of a target column of another portable type, where
 * the meaning is unambiguous: a SQLite `INTEGER` 0/1 into a boolean, its `TEXT` timestamps into
 * a timestamp, JSON text into json, numbers and booleans into text. Same types pass unchanged;
 * anything else is refused naming the column (the copy stops before writing that batch).
 */
export type Convert = (value: unknown) => unknown;

const SAME: Convert = (value) => value;

export function converterFor(from: ColumnInfo, to: ColumnInfo, table: string): Convert {
  if (from.type === to.type) return SAME;
  const convert = CONVERSIONS[`${from.type}>${to.type}`];
  const refuse = (value: unknown): never => {
    throw new MoboError('DS_VALUE_INVALID', `Column ${to.name} of ${table} is ${to.type}; the source's ${from.type} value does not convert to it`, {
      details: { column: to.name, from: from.type, to: to.type, value: String(value).slice(0, 40) },
    });
  };
  if (!convert) return (value) => (value === null ? null : refuse(value));
  return (value) => {
    if (value === null || value === undefined) return null;
    const converted = convert(value);
    return converted === undefined ? refuse(value) : converted;
  };
}

/** Converts whole rows: one converter per shared column, made once per copy. */
export function rowConverter(columns: Array<{ name: string; convert: Convert }>): (row: Row) => Row {
  return (row) => {
    const out: Row = {};
    for (const { name, convert } of columns) if (name in row) out[name] = convert(row[name]);
    return out;
  };
}

type Key = `${ColumnType}>${ColumnType}`;

const CONVERSIONS: Partial<Record<Key, (value: unknown) => unknown>> = {
  'integer>boolean': (v) => (v === 0 || v === 1 ? v === 1 : undefined),
  'boolean>integer': (v) => (v ? 1 : 0),
  'integer>float': (v) => Number(v),
  'float>integer': (v) => (Number.isSafeInteger(v) ? v : undefined),
  'integer>text': (v) => String(v),
  'float>text': (v) => String(v),
  'boolean>text': (v) => String(v),
  'uuid>text': (v) => v,
  'text>uuid': (v) => v,
  'timestamp>text': (v) => v,
  'json>text': (v) => JSON.stringify(v),
  'text>timestamp': (v) => timestampOf(String(v)),
  'text>json': (v) => jsonOf(String(v)),
  'text>integer': (v) => (/^-?\d+$/.test(String(v)) ? Number(v) : undefined),
  'text>float': (v) => (String(v).trim() !== '' && Number.isFinite(Number(v)) ? Number(v) : undefined),
  'text>boolean': (v) => ({ true: true, false: false, '1': true, '0': false, t: true, f: false })[String(v).toLowerCase()],
};

/** SQLite's own `YYYY-MM-DD HH:MM:SS[.SSS]` (CURRENT_TIMESTAMP, which is UTC) or any ISO 8601 form. */
function timestampOf(text: string): string | undefined {
  const sqlite = /^\d{4}-\d{2}-\d{2} \d{2}:\d{2}(:\d{2}(\.\d+)?)?$/.test(text) ? `${text.replace(' ', 'T')}Z` : text;
  if (!/^\d{4}-\d{2}-\d{2}/.test(sqlite)) return undefined;
  const date = new Date(sqlite);
  return Number.isNaN(date.getTime()) ? undefined : date.toISOString();
}

function jsonOf(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}
