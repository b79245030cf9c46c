/**
 * Passwords out of text that shows a connection string: a source URL in `source:list`, a
 * driver's error message, a log line. Every form a password takes in one:
 *
 * - userinfo: `postgres://user:secret@host/db` → `postgres://user:***@host/db`
 * - query string: `mysql://host/db?password=secret&ssl=true` → `…?password=***&ssl=true`
 * - key=value (libpq, ODBC, ADO): `host=db password=secret` / `Password='a b';` → `password=***`
 */
const USERINFO = /([a-z][a-z0-9+.-]*:\/\/[^\s:/@]*:)[^\s@/]*@/gi;
const SECRET_NAMES = 'password|passwd|pass|pwd|secret|sslpassword|sslkey|token|access_token|api_?key|auth_token';
const QUERY = new RegExp(`([?&](?:${SECRET_NAMES})=)[^&#\\s]*`, 'gi');
const KEY_VALUE = new RegExp(`(\\b(?:${SECRET_NAMES})\\s*=\\s*)('[^']*'|"[^"]*"|[^\\s;&]+)`, 'gi');

export const MASK = '***';
const SECRET_PARAM = new RegExp(`^(?:${SECRET_NAMES})$`, 'i');

export function redactSecrets(text: string): string {
  return text.replace(USERINFO, `$1${MASK}@`).replace(KEY_VALUE, `$1${MASK}`).replace(QUERY, `$1${MASK}`);
}

/**
 * A connection URL as a setting may be shown or archived: without its user info at all (a
 * NATS token sits where a user would) and without credential parameters; also
 * `user:pass@host:port` and comma-separated server lists (NATS).
 */
export function withoutCredentials(url: string): string {
  if (url.includes('://') && !url.includes(',')) {
    try {
      const parsed = new URL(url);
      parsed.username = '';
      parsed.password = '';
      for (const name of [...parsed.searchParams.keys()]) if (SECRET_PARAM.test(name)) parsed.searchParams.delete(name);
      return parsed.toString();
    } catch {
      // Not parseable as a URL: fall through to the plain user-info rule.
    }
  }
  // A comma-separated server list (NATS) may carry user info on each entry.
  return url.replace(/(^|,|:\/\/)[^,/@]*@/g, '$1');
}
