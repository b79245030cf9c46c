import { describe, expect, it } from 'vitest';
import { Logger } from '../../runtime/logger.js';

function capture(level: 'debug' | 'info' = 'info', format: 'json' | 'pretty' = 'json') {
  const lines: string[] = [];
  const log = new Logger({ level, format, sink: { write: (l) => void lines.push(l) } });
  return { log, lines, json: () => lines.map((l) => JSON.parse(l) as Record<string, unknown>) };
}

describe('the logger (pino underneath)', () => {
  it('writes one JSON object per line with ts, level name, the child fields, msg and the call fields', () => {
    const { log, json } = capture();
    log.child({ component: 'auth' }).child({ traceId: 'req-1' }).warn('slow login', { ms: 12, user: { email: 'a@b.c' } });
    const [line] = json();
    expect(line).toMatchObject({ level: 'warn', component: 'auth', traceId: 'req-1', msg: 'slow login', ms: 12, user: { email: 'a@b.c' } });
    expect(typeof line!.ts).toBe('string');
    expect(Number.isNaN(Date.parse(String(line!.ts)))).toBe(false);
    expect(line).not.toHaveProperty('pid');
  });

  it('redacts keys that look secret at any depth, in child fields too, and reduces errors to name and message', () => {
    const { log, lines, json } = capture();
    const err = new TypeError('bad "thing"');
    log.child({ component: 'x', apiKey: 'ak_shop_SECRET1' }).error('failed', { password: 'hunter2', nested: { Authorization: 'Bearer SECRET2', deeper: { client_secret: 'SECRET3' } }, error: err });
    expect(lines.join('')).not.toMatch(/SECRET|hunter2/);
    expect(json()[0]).toMatchObject({ apiKey: '[redacted]', password: '[redacted]', nested: { Authorization: '[redacted]', deeper: { client_secret: '[redacted]' } }, error: 'TypeError: bad "thing"' });
    expect(lines.join('')).not.toContain('at ');
  });

  it('follows level and format changes at run time, for children made before the change', () => {
    const { log, lines } = capture('info');
    const child = log.child({ component: 'ds' });
    child.debug('hidden');
    expect(lines).toHaveLength(0);
    log.configure({ level: 'debug' });
    child.debug('shown');
    expect(lines).toHaveLength(1);
    log.configure({ format: 'pretty' });
    child.info('readable now', { token: 'SECRET4', rows: 3 });
    const pretty = lines[1]!;
    expect(() => JSON.parse(pretty)).toThrow();
    expect(pretty).toMatch(/INFO/);
    expect(pretty).toContain('[ds] readable now');
    expect(pretty).toContain('rows');
    expect(pretty).not.toContain('SECRET4');
    log.configure({ level: 'silent' });
    child.error('nothing');
    expect(lines).toHaveLength(2);
  });
});
