/** Query parameters that carry credentials in connection URLs (libpq's password, sslkey, a token …). */
const CREDENTIAL_PARAM = /pass|secret|token|key|auth|credential/i;

/** A URL (or `user:pass@host:port`) without user, password and credential parameters. */
export function withoutCredentials(url: string): string {
  if (url.includes('://') && !url.includes(',')) {
    try {
      const parsed = new URL(url);
      parsed.username = '';
      parsed.password = '';
      for (const name of [...parsed.searchParams.keys()]) if (CREDENTIAL_PARAM.test(name)) parsed.searchParams.delete(name);
      return parsed.toString();
    } catch {
      // Not parseable as a URL: fall through to the plain user-info rule.
    }
  }
  // A comma-separated server list (NATS) may carry user info on each entry.
  return url.replace(/(^|,|:\/\/)[^,/@]*@/g, '$1');
}
