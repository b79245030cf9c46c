import { describe, expect, it } from 'vitest';
import { redactUrl } from '../../actors/ds/catalog.js';
import { Logger } from '../../runtime/logger.js';
import { redactSecrets } from '../../runtime/redact.js';

describe('redaction of passwords in connection strings', () => {
  it('masks every form a password takes, and nothing else', () => {
    const cases: Array<[string, string]> = [
      ['postgres://app:s3cr%40t@db.internal:5432/shop', 'postgres://app:***@db.internal:5432/shop'],
      ['mysql://db.internal/shop?user=app&password=hunter2&ssl=true', 'mysql://db.internal/shop?user=app&password=***&ssl=true'],
      ['mongodb://db/x?authSource=admin&PWD=p4ss', 'mongodb://db/x?authSource=admin&PWD=***'],
      ['host=db.internal user=app password=hunter2 dbname=shop', 'host=db.internal user=app password=*** dbname=shop'],
      ["Server=db;User Id=app;Password='two words';Database=shop", 'Server=db;User Id=app;Password=***;Database=shop'],
      ['redis://:onlyapassword@cache:6379/0', 'redis://:***@cache:6379/0'],
      ['connect ECONNREFUSED 127.0.0.1:5432 (postgres://app:pw@127.0.0.1:5432/x)', 'connect ECONNREFUSED 127.0.0.1:5432 (postgres://app:***@127.0.0.1:5432/x)'],
    ];
    for (const [input, shown] of cases) expect(redactSecrets(input)).toBe(shown);
    for (const clean of ['postgres://app@db:5432/shop', 'http://host:8080/path@x', '/var/lib/mobo/shop.db', 'bypass=1 compass=2']) expect(redactSecrets(clean)).toBe(clean);
    expect(redactUrl('postgres://u@h/db?sslmode=require&password=x')).toBe('postgres://u@h/db?sslmode=require&password=***');
  });

  it('keeps them out of log lines, in messages and in error fields', () => {
    const lines: string[] = [];
    const log = new Logger({ level: 'info', format: 'json', sink: { write: (l) => lines.push(l) } });
    log.warn('source down: mysql://root:rootpw@db/x', { error: new Error('auth failed for host=db password=hunter2'), url: 'pg://a:b@c/d' });
    const line = lines.join('');
    for (const secret of ['rootpw', 'hunter2', ':b@']) expect(line).not.toContain(secret);
    expect(line).toContain('mysql://root:***@db/x');
  });
});
