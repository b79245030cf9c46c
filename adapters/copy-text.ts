/**
 * Postgres COPY text format (the rows of a Postgres dump) read back as canonical rows, for
 * restores into any other backend (and the scratch SQLite of `backup:verify`). The dump is taken
 * with DateStyle ISO and TimeZone UTC, so timestamps read as ISO-8601 UTC.
 */
import type { ColumnInfo, ColumnType, Row, TableInfo } from './types.js';

const ESCAPES: Record<string, string> = { b: '\b', f: '\f', n: '\n', r: '\r', t: '\t', v: '\v' };
const TIMESTAMP = /^(\d{4,}-\d\d-\d\d)(?:[ T](\d\d:\d\d:\d\d(?:\.\d+)?)([+-]\d\d(?::?\d\d){0,2})?)?$/;

/** The rows of `data` (whole COPY lines) for `columns` of `table`. */
export function decodeCopyText(table: TableInfo, columns: readonly string[], data: string): Row[] {
  const types = columns.map((name) => table.columns.find((c) => c.name === name));
  const rows: Row[] = [];
  let start = 0;
  while (start < data.length) {
    let end = data.indexOf('\n', start);
    if (end < 0) end = data.length;
    const fields = data.slice(start, end).split('\t');
    const row: Row = {};
    fields.forEach((field, i) => {
      const column = types[i];
      if (column) row[column.name] = field === '\\N' ? null : typed(column, unescape(field));
    });
    rows.push(row);
    start = end + 1;
  }
  return rows;
}

function unescape(field: string): string {
  if (!field.includes('\\')) return field;
  return field.replace(/\\(x[0-9a-fA-F]{1,2}|[0-7]{1,3}|.)/g, (_, e: string) => {
    if (e[0] === 'x' && e.length > 1) return String.fromCharCode(parseInt(e.slice(1), 16));
    if (/^[0-7]/.test(e)) return String.fromCharCode(parseInt(e, 8));
    return ESCAPES[e] ?? e;
  });
}

function typed(column: ColumnInfo, text: string): unknown {
  const type: ColumnType = column.type;
  switch (type) {
    case 'integer': {
      const n = Number(text);
      return Number.isSafeInteger(n) ? n : text;
    }
    case 'float':
      return Number(text);
    case 'boolean':
      return text === 't';
    case 'json':
      return JSON.parse(text) as unknown;
    case 'bytes':
      return Buffer.from(text.startsWith('\\x') ? text.slice(2) : text, 'hex');
    case 'timestamp':
      return isoTimestamp(text);
    default:
      return text;
  }
}

function isoTimestamp(text: string): string {
  const m = TIMESTAMP.exec(text);
  if (!m) return text;
  const [, date, time = '00:00:00', offset] = m;
  const zone = !offset || /^[+-]00(:?00)*$/.test(offset) ? 'Z' : offset.length === 3 ? `${offset}:00` : offset;
  const parsed = new Date(`${date}T${time}${zone}`);
  return Number.isNaN(parsed.getTime()) ? text : parsed.toISOString();
}
