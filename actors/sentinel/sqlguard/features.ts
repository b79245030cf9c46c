/**
 * The feature extraction the model is trained and served with (one function for both, so
 * training and serving can never drift): a value becomes a sorted set of hashed feature
 * indices in [0, 2^bits). The features:
 *
 * - character 2-, 3- and 4-grams of the normalised value (lower case, digits as `0`,
 *   whitespace runs as one space);
 * - token-class 1- to 4-grams and the 6-class fingerprint, read in three contexts as
 *   libinjection does: the value as it is, and as if it followed a `'` or a `"` (an
 *   attacker breaking out of a quoted literal);
 * - the keyword, function, logic and variable words, alone and in pairs.
 *
 * Hashing is FNV-1a over char codes, computed without building substrings. Not reentrant
 * (one shared buffer), which JavaScript's single thread makes safe.
 */
import { tokenize, type Token } from './tokenizer.js';

export interface FeatureSpec {
  /** log2 of the number of hash buckets: the model's input width. */
  bits: number;
}

/** Values longer than this are scored on their first and last halves of it. */
export const MAX_CHARS = 1024;

const FNV_OFFSET = 0x811c9dc5;
const FNV_PRIME = 16777619;

function mix(h: number, code: number): number {
  return Math.imul(h ^ code, FNV_PRIME);
}

function finish(h: number, mask: number): number {
  h ^= h >>> 15;
  h = Math.imul(h, 0x2c1b3c6d);
  h ^= h >>> 12;
  return (h >>> 0) & mask;
}

function hashText(seed: number, text: string): number {
  return continueText(mix(FNV_OFFSET, seed), text);
}

function continueText(h: number, text: string): number {
  for (let i = 0; i < text.length; i++) h = mix(h, text.charCodeAt(i));
  return h;
}

/** The value as the character n-grams see it. */
export function normalise(value: string): string {
  return clip(value).toLowerCase().replace(/[0-9]/g, '0').replace(/\s+/g, ' ');
}

/** Each token class's number in the hashes, indexed by the class letter's char code (a table, not an object: this runs per token). */
const CLASS_CODE = new Uint8Array(128);
for (const [cls, code] of Object.entries({ s: 1, n: 2, k: 3, U: 4, '&': 5, o: 6, f: 7, v: 8, b: 9, '(': 10, ')': 11, ',': 12, ';': 13, '.': 14, c: 15, q: 16 })) CLASS_CODE[cls.charCodeAt(0)] = code;
const classCode = (t: Token): number => CLASS_CODE[t.cls.charCodeAt(0)]!;
const UNTERMINATED: readonly Token[] = [{ cls: 'q', text: "'" }];
const WORD_CLASSES = new Set(['k', 'U', '&', 'f', 'v', 'o']);

function tokenFeatures(tokens: readonly Token[], context: number): void {
  const start = mix(mix(FNV_OFFSET, 1000 + context), 0);
  for (let i = 0; i < tokens.length; i++) {
    let h = start;
    for (let n = 1; n <= 4 && i + n <= tokens.length; n++) {
      h = mix(h, classCode(tokens[i + n - 1]!));
      add(mix(h, 2000 + n));
    }
  }
  // the fingerprint: the first six classes, with where the value ends
  let f = mix(FNV_OFFSET, 3000 + context);
  for (let i = 0; i < tokens.length && i < 6; i++) f = mix(f, classCode(tokens[i]!));
  add(mix(f, tokens.length <= 6 ? 1 : 2));
}

/**
 * Feature indices of one value are collected in `buffer`, deduplicated with a stamp per
 * bucket (the call's generation), which is several times faster than a Set or a sort.
 * The collector's state lives in module variables (one value at a time), so adding a
 * feature is a plain function call with no closure allocated per value.
 */
let buffer = new Int32Array(4096);
let stamps = new Uint32Array(0);
let generation = 0;
let mask = 0;
let stamp = 0;
let count = 0;

function add(h: number): void {
  const index = finish(h, mask);
  if (stamps[index] === stamp) return;
  stamps[index] = stamp;
  if (count === buffer.length) {
    const grown = new Int32Array(buffer.length * 2);
    grown.set(buffer);
    buffer = grown;
  }
  buffer[count++] = index;
}

/** A value tokenized as it is and as if after `'` and `"` (shared by the rules and the features, so each runs once). */
export interface TokenContexts {
  plain: readonly Token[];
  single: readonly Token[];
  double: readonly Token[];
}

/** The value the tokenizer reads: values over MAX_CHARS as their first and last halves. */
export function clip(value: string): string {
  return value.length > MAX_CHARS ? value.slice(0, MAX_CHARS / 2) + ' ' + value.slice(-MAX_CHARS / 2) : value;
}

export function tokenContexts(value: string): TokenContexts {
  const raw = clip(value);
  // Without that quote in the value, the quoted context is one unterminated quote: skip the tokenizer.
  return {
    plain: tokenize(raw),
    single: raw.includes("'") ? tokenize("'" + raw) : UNTERMINATED,
    double: raw.includes('"') ? tokenize('"' + raw) : UNTERMINATED,
  };
}

/** `normalise(value)` as char codes in `codes`, without building strings; returns the length. */
let codes = new Uint16Array(MAX_CHARS + 1);
function normaliseInto(value: string): number {
  const raw = clip(value);
  let n = 0;
  let space = false;
  for (let i = 0; i < raw.length; i++) {
    let c = raw.charCodeAt(i);
    // Outside ASCII, lower-casing and \s follow Unicode rules: take the string path.
    if (c > 127) return copyCodes(normalise(value));
    if (c === 32 || (c >= 9 && c <= 13)) {
      if (!space) codes[n++] = 32;
      space = true;
      continue;
    }
    space = false;
    if (c >= 65 && c <= 90) c += 32;
    else if (c >= 48 && c <= 57) c = 48;
    codes[n++] = c;
  }
  return n;
}

function copyCodes(text: string): number {
  if (codes.length < text.length) codes = new Uint16Array(text.length);
  for (let i = 0; i < text.length; i++) codes[i] = text.charCodeAt(i);
  return text.length;
}

/** The hashed feature indices of `value`, without repeats, in the order first seen. */
export function featuresOf(value: string, spec: FeatureSpec, contexts: TokenContexts = tokenContexts(value)): Int32Array {
  mask = (1 << spec.bits) - 1;
  if (stamps.length !== mask + 1) {
    stamps = new Uint32Array(mask + 1);
    generation = 0;
  }
  generation = generation === 0xffffffff ? (stamps.fill(0), 1) : generation + 1;
  stamp = generation;
  count = 0;

  const length = normaliseInto(value);
  for (let i = 0; i + 2 <= length; i++) {
    let h = mix(FNV_OFFSET, codes[i]!);
    for (let n = 2; n <= 4 && i + n <= length; n++) {
      h = mix(h, codes[i + n - 1]!);
      add(mix(h, n));
    }
  }
  const { plain, single, double } = contexts;
  tokenFeatures(plain, 0);
  tokenFeatures(single, 1);
  tokenFeatures(double, 2);

  // Words alone and in pairs: the pair's hash continues the first word's, as if over `first + ' ' + second`.
  let previous = -1;
  for (const t of plain) {
    if (!WORD_CLASSES.has(t.cls)) continue;
    add(hashText(4000, t.text));
    if (previous !== -1) add(continueText(mix(previous, 32), t.text));
    previous = hashText(4001, t.text);
  }
  return buffer.slice(0, count);
}
