/**
 * Topic namespaces. Every topic of a project starts with the project's name
 * (`shop/devices/7/telemetry`): a client may publish and subscribe only under its own
 * project's first level, which no wildcard can escape (`#`, `+/…` and any `$…` filter are
 * refused, except `$SYS/<project>/…`, the project's read-only stats). Topics are stored and
 * delivered as they are sent: nothing is rewritten, so retained messages, wills and offline
 * queues need no translation. Under the project, `db/…` (table changes) and `dead-letter/…`
 * are written by the broker only.
 */
export const SYS = '$SYS';
/** Sub-trees of a project that only the broker publishes to. */
export const RESERVED = ['db', 'dead-letter'] as const;

export type TopicAccess =
  | { ok: true; project: string; /** The topic below the project level, e.g. `devices/7/telemetry`. */ relative: string; sys: boolean }
  | { ok: false; reason: string };

/** Which project a topic (or filter) belongs to, and its part below the project level. */
export function namespaceOf(topic: string, project: string): TopicAccess {
  const levels = topic.split('/');
  if (levels[0] === SYS) {
    return levels[1] === project ? { ok: true, project, relative: levels.slice(2).join('/'), sys: true } : { ok: false, reason: `$SYS topics are readable only under $SYS/${project}/` };
  }
  if (levels[0] !== project) return { ok: false, reason: `topics of this project start with "${project}/"` };
  if (levels.length < 2) return { ok: false, reason: `topics of this project start with "${project}/"` };
  return { ok: true, project, relative: levels.slice(1).join('/'), sys: false };
}

/** True when the topic is under a sub-tree only the broker writes (`<project>/db/…`, `<project>/dead-letter/…`). */
export function isReserved(relative: string): boolean {
  const first = relative.split('/', 1)[0]!;
  return (RESERVED as readonly string[]).includes(first);
}

/** MQTT topic-filter matching of a topic name ([MQTT-4.7]): `+` one level, `#` the rest (including the parent level). */
export function filterMatches(filter: string, topic: string): boolean {
  const f = filter.split('/');
  const t = topic.split('/');
  for (let i = 0; i < f.length; i++) {
    if (f[i] === '#') return true;
    if (i >= t.length) return false;
    if (f[i] !== '+' && f[i] !== t[i]) return false;
  }
  return f.length === t.length;
}

/**
 * True when every topic `filter` can match is also matched by `pattern` (a key's allowed
 * subscription pattern covers the filter a client asks for): `a/#` covers `a/b/+`, `a/+`
 * covers `a/b` but not `a/#`.
 */
export function filterCovers(pattern: string, filter: string): boolean {
  const p = pattern.split('/');
  const f = filter.split('/');
  for (let i = 0; i < p.length; i++) {
    if (p[i] === '#') return true;
    if (i >= f.length) return false;
    if (f[i] === '#') return false;
    if (p[i] === '+') continue;
    if (f[i] === '+' || f[i] !== p[i]) return false;
  }
  return p.length === f.length;
}

/** A topic filter is well formed: `#` only last and alone in its level, `+` alone in its level. */
export function isValidFilter(filter: string): boolean {
  if (filter.length === 0 || filter.length > 65_535 || filter.includes('\u0000')) return false;
  const levels = filter.split('/');
  return levels.every((l, i) => (l.includes('#') ? l === '#' && i === levels.length - 1 : !l.includes('+') || l === '+'));
}

/** `<project>/db/<source>/<table>/<insert|update|delete>` */
export function dbTopic(project: string, source: string, table: string, op: string): string {
  return `${project}/db/${source}/${table}/${op.toLowerCase()}`;
}

/** The table a `<project>/db/<source>/<table>/<op>` topic is about. */
export function parseDbTopic(topic: string): { project: string; source: string; table: string } | undefined {
  const levels = topic.split('/');
  if (levels.length !== 5 || levels[1] !== 'db') return undefined;
  return { project: levels[0]!, source: levels[2]!, table: levels[3]! };
}

export function deadLetterTopic(project: string, rule: string): string {
  return `${project}/dead-letter/${rule}`;
}
