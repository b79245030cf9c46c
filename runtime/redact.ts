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

export function redactSecrets(text: string): string {
  return text.replace(USERINFO, `$1${MASK}@`).replace(KEY_VALUE, `$1${MASK}`).replace(QUERY, `$1${MASK}`);
}
