import type { ColumnInfo, ColumnType } from './types.js';
import { MoboError } from '../runtime/index.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const INTEGER = /^-?\d+$/;

/** A user value in canonical form for its column; null stays null. */
export function normalizeValue(column: ColumnInfo, value: unknown): unknown {
  if (value === null || value === undefined) return null;
  const canonical = toCanonical(column.type, value);
  if (canonical === undefined) {
    throw new MoboError('DS_VALUE_INVALID', `A value does not fit column ${column.name} (${column.type})`, {
      details: { column: column.name, type: column.type },
    });
  }
  return canonical;
}

function toCanonical(type: ColumnType, value: unknown): unknown {
  switch (type) {
    case 'text':
      return typeof value === 'string' ? value : undefined;
    case 'uuid':
      return typeof value === 'string' && UUID.test(value) ? value.toLowerCase() : undefined;
    case 'integer':
      return integerOf(value);
    case 'float':
      if (typeof value === 'number') return Number.isFinite(value) ? value : undefined;
      if (typeof value === 'string' && value.trim() !== '' && Number.isFinite(Number(value))) return Number(value);
      return undefined;
    case 'boolean':
      return typeof value === 'boolean' ? value : undefined;
    case 'timestamp':
      return isoOf(value);
    case 'json':
      return isJsonable(value) ? value : undefined;
    case 'bytes':
      if (Buffer.isBuffer(value)) return value;
      return value instanceof Uint8Array ? Buffer.from(value) : undefined;
  }
}

function integerOf(value: unknown): number | string | undefined {
  if (typeof value === 'number') return Number.isSafeInteger(value) ? value : undefined;
  if (typeof value === 'bigint' || (typeof value === 'string' && INTEGER.test(value))) {
    const n = Number(value);
    return Number.isSafeInteger(n) ? n : String(value);
  }
  return undefined;
}

function isoOf(value: unknown): string | undefined {
  if (typeof value === 'string' && isCanonicalIso(value)) return value;
  if (!(value instanceof Date) && typeof value !== 'string') return undefined;
  const date = value instanceof Date ? value : new Date(value);
  return Number.isNaN(date.getTime()) ? undefined : date.toISOString();
}

const CANONICAL_ISO = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})\.\d{3}Z$/;
const DAYS_IN_MONTH = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

/**
 * Whether a string is already what Date#toISOString would make of it (a real date and time of
 * day, 4-digit year, milliseconds, Z): restored rows carry timestamps in exactly this form, and
 * checking it is a third of the cost of parsing and formatting them again.
 */
function isCanonicalIso(value: string): boolean {
  const m = CANONICAL_ISO.exec(value);
  if (!m) return false;
  const [year, month, day] = [Number(m[1]), Number(m[2]), Number(m[3])];
  const leapDay = month === 2 && year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0) ? 1 : 0;
  return month >= 1 && month <= 12 && day >= 1 && day <= DAYS_IN_MONTH[month - 1]! + leapDay && Number(m[4]) <= 23 && Number(m[5]) <= 59 && Number(m[6]) <= 59;
}

function isJsonable(value: unknown): boolean {
  try {
    return JSON.stringify(value) !== undefined;
  } catch {
    return false;
  }
}

/** A driver's value in canonical form. `jsonIsText`: the driver hands json columns out as text. */
export function decodeValue(type: ColumnType, raw: unknown, jsonIsText: boolean): unknown {
  if (raw === null || raw === undefined) return null;
  switch (type) {
    case 'integer':
      return typeof raw === 'number' ? raw : (integerOf(raw) ?? raw);
    case 'float':
      return typeof raw === 'string' || typeof raw === 'bigint' ? Number(raw) : raw;
    case 'boolean':
      return typeof raw === 'boolean' ? raw : raw === 1 || raw === 1n || raw === '1' || raw === 't' || raw === 'true';
    case 'timestamp':
      return typeof raw === 'number' ? new Date(raw).toISOString() : (isoOf(raw) ?? raw);
    case 'json':
      return jsonIsText && typeof raw === 'string' ? parseJsonOr(raw) : raw;
    case 'bytes':
      return raw instanceof Uint8Array && !Buffer.isBuffer(raw) ? Buffer.from(raw) : raw;
    default:
      return raw;
  }
}

function parseJsonOr(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}
