/**
 * What a Postgres source URL names: the server (host:port, the key of its connection budget:
 * max_connections is the server's, whichever role connects; provisioned projects each have one), the database (the key of its shared LISTEN connection) and the schema, from
 * `?schema=` or `?options=-c search_path=…` (its first entry). Both are taken out of the URL
 * the driver connects with: every statement names its schema, so no session setting is
 * needed, and a pooler in transaction mode (which refuses the `options` startup parameter)
 * can stand in front of the server.
 */
export interface PostgresTarget {
  connectionString: string;
  server: string;
  database: string;
  schema?: string;
}

const SEARCH_PATH = /(?:^|\s)-c\s*search_path\s*=\s*("(?:[^"]|"")*"|[^\s,]+)(?:,[^\s]*)?/;

export function postgresTarget(url: string): PostgresTarget {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return { connectionString: url, server: 'unparsed', database: '' };
  }
  const params = parsed.searchParams;
  let schema = params.get('schema') ?? undefined;
  params.delete('schema');
  const options = params.get('options');
  if (options !== null) {
    const m = SEARCH_PATH.exec(options);
    if (m) {
      const first = m[1]!;
      schema ??= first.startsWith('"') ? first.slice(1, -1).split('""').join('"') : first;
      const rest = options.replace(m[0], ' ').trim();
      if (rest) params.set('options', rest);
      else params.delete('options');
    }
  }
  const host = params.get('host') ?? decodeURIComponent(parsed.hostname || 'localhost');
  const port = params.get('port') ?? (parsed.port || '5432');
  const database = decodeURIComponent(parsed.pathname.replace(/^\//, '')) || decodeURIComponent(parsed.username || params.get('user') || 'postgres');
  const target: PostgresTarget = { connectionString: parsed.toString(), server: `${host}:${port}`, database };
  if (schema) target.schema = schema;
  return target;
}
