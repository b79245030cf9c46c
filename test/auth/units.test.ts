import { describe, expect, it } from 'vitest';
import { ipInRanges, isCidr, normalizeIp } from '../../actors/auth/cidr.js';
import { readCredential } from '../../actors/auth/credentials.js';
import { LoadingCache } from '../../actors/auth/loading-cache.js';
import { LoginLimiter } from '../../actors/auth/login-limiter.js';
import { hashPassword, verifyPassword } from '../../actors/auth/password.js';
import { tableMatches } from '../../actors/auth/table-pattern.js';
import { parseGrants } from '../../cli/commands/auth.js';
import { size } from '../../cli/commands/backup.js';
import { ManualClock } from '../../runtime/clock.js';
import { EventBus } from '../../runtime/eventbus.js';
import { LocalHub, LocalTransport } from '../../runtime/local-transport.js';
import { Logger } from '../../runtime/logger.js';

describe('MagAuth building blocks', () => {
  it('hashes passwords with scrypt and a per-user salt, and checks them with the stored parameters', async () => {
    const fast = { log2N: 10, r: 8, p: 1 };
    const a = await hashPassword('pässword one', fast);
    const b = await hashPassword('pässword one', fast);
    expect(a).not.toBe(b);
    expect(a.startsWith('scrypt$10$8$1$')).toBe(true);
    expect(await verifyPassword('pässword one', a)).toBe(true);
    expect(await verifyPassword('pa\u0308ssword one', a)).toBe(true); // NFKC: the same text typed another way
    expect(await verifyPassword('pässword two', a)).toBe(false);
    for (const broken of ['', 'scrypt$10$8$1$', 'bcrypt$x', `${a.slice(0, -2)}`, 'scrypt$40$8$1$c2FsdA$aGFzaA']) expect(await verifyPassword('pässword one', broken)).toBe(false);
  });

  it('matches IPv4 and IPv6 ranges, seeing IPv4-mapped addresses as IPv4', () => {
    expect(normalizeIp('::ffff:192.168.1.5')).toBe('192.168.1.5');
    expect(normalizeIp('0000:0000:0000:0000:0000:ffff:c0a8:0105')).toBe('192.168.1.5');
    expect(normalizeIp('[::1]')).toBe('::1');
    expect(ipInRanges('192.168.1.5', ['192.168.0.0/16'])).toBe(true);
    expect(ipInRanges('192.169.1.5', ['192.168.0.0/16'])).toBe(false);
    expect(ipInRanges('203.0.113.7', ['203.0.113.7'])).toBe(true);
    expect(ipInRanges('fe80::1', ['fe80::/10'])).toBe(true);
    expect(ipInRanges('fe80::1', ['10.0.0.0/8'])).toBe(false);
    for (const bad of ['10.0.0.0/33', '10.0.0/8', 'fe80::/129', '1.2.3.4/8/9', 'x', '', '10.0.0.0/-1', '10.0.0.0/ 8']) expect(isCidr(bad)).toBe(false);
  });

  it('matches table patterns by table, or by source.table when qualified', () => {
    expect(tableMatches('*', 'main', 'orders')).toBe(true);
    expect(tableMatches('order*', 'main', 'orders')).toBe(true);
    expect(tableMatches('orders', 'main', 'orders_archive')).toBe(false);
    expect(tableMatches('main.orders', 'main', 'orders')).toBe(true);
    expect(tableMatches('main.orders', 'replica', 'orders')).toBe(false);
    expect(tableMatches('o.ders', 'main', 'orders')).toBe(false); // a dot is never a wildcard
  });

  it('reads the credential from Authorization first, then apikey', () => {
    expect(readCredential({ authorization: 'Bearer a.b.c', apikey: 'ak_x_y' })).toEqual({ kind: 'jwt', token: 'a.b.c' });
    expect(readCredential({ Authorization: 'bearer ak_x_y' })).toEqual({ kind: 'api_key', key: 'ak_x_y' });
    expect(readCredential({ apikey: 'a.b.c' })).toEqual({ kind: 'jwt', token: 'a.b.c' });
    expect(() => readCredential({ authorization: 'Bearer ' + 'a'.repeat(10_000) })).toThrow(expect.objectContaining({ code: 'AUTH_INVALID' }));
    expect(() => readCredential({ apikey: '' })).toThrow(expect.objectContaining({ code: 'AUTH_REQUIRED' }));
  });

  it('limits password attempts per key with a token bucket on an injected clock', () => {
    const clock = new ManualClock(0);
    const limiter = new LoginLimiter(clock, new EventBus(new LocalTransport(), Logger.silent()), 'n1', { burst: 3, refillMs: 10_000, maxKeys: 2 });
    for (let i = 0; i < 3; i++) limiter.take('a');
    expect(() => limiter.take('a')).toThrow(expect.objectContaining({ code: 'RATE_LIMITED', details: { retryAfterSeconds: 10 } }));
    limiter.take('b');
    clock.advance(10_000);
    limiter.take('a');
    expect(() => limiter.take('a')).toThrow(expect.objectContaining({ code: 'RATE_LIMITED' }));
  });

  it('spends one password-attempt budget across the nodes of a cluster', async () => {
    const clock = new ManualClock(0);
    const hub = new LocalHub(); // two nodes' buses, joined as NATS would join them
    const [busA, busB] = [new EventBus(new LocalTransport(hub), Logger.silent()), new EventBus(new LocalTransport(hub), Logger.silent())];
    const opts = { burst: 3, refillMs: 10_000, maxKeys: 10 };
    const [onA, onB] = [new LoginLimiter(clock, busA, 'a', opts), new LoginLimiter(clock, busB, 'b', opts)];
    for (let i = 0; i < 3; i++) onA.take('shop:eve@example.com:10.0.0.1');
    const heard = busB.once<{ node: string; spent: Record<string, number> }>('api.login.usage', (e) => e.payload.node === 'a');
    clock.advance(250);
    expect(JSON.stringify((await heard).payload)).not.toContain('eve@example.com');
    expect(() => onB.take('shop:eve@example.com:10.0.0.1')).toThrow(expect.objectContaining({ code: 'RATE_LIMITED' }));
    onB.take('shop:bob@example.com:10.0.0.1');
    onA.close();
    onB.close();
  });

  it('shares one load between concurrent misses, caches absence, and never caches a load that raced an invalidation', async () => {
    const cache = new LoadingCache<number>(10, 1_000, new ManualClock(0));
    let loads = 0;
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const load = async () => (loads++, await gate, loads);
    const both = Promise.all([cache.get('k', load), cache.get('k', load)]);
    release();
    expect(await both).toEqual([1, 1]);
    expect(loads).toBe(1);
    expect(await cache.get('none', async () => undefined)).toBeUndefined();
    expect(await cache.get('none', async () => 5)).toBeUndefined();

    let finish!: () => void;
    const slow = cache.get('race', () => new Promise<number>((r) => (finish = () => r(1))));
    cache.clear();
    finish();
    expect(await slow).toBe(1);
    expect(await cache.get('race', async () => 2)).toBe(2);
  });

  it('parses role grants for the CLI', () => {
    expect(parseGrants('orders,items:read,create;audit:read')).toEqual([
      { tables: ['orders', 'items'], operations: ['read', 'create'] },
      { tables: ['audit'], operations: ['read'] },
    ]);
    expect(() => parseGrants('orders')).toThrow(expect.objectContaining({ code: 'MESSAGE_INVALID' }));
  });

  it('shows sizes a person reads at a glance (backup:list)', () => {
    expect([0, 512, 4_096, 1_500_000, 3 * 1024 ** 3].map(size)).toEqual(['0 B', '512 B', '4.0 KB', '1.4 MB', '3.0 GB']);
  });
});
