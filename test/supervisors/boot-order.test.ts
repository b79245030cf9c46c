import { describe, expect, it } from 'vitest';
import { bootOrder } from '../../supervisors/boot-order.js';

const node = (name: string, ...dependsOn: string[]) => ({ name, dependsOn });

describe('boot order', () => {
  it('starts dependencies first and otherwise keeps declaration order', () => {
    const order = bootOrder([node('gateway', 'auth', 'db'), node('logger'), node('auth', 'config'), node('db', 'config'), node('config')], 'root');
    expect(order.map((n) => n.name)).toEqual(['config', 'auth', 'db', 'gateway', 'logger']);
  });

  it('fails on a cycle, naming it', () => {
    expect(() => bootOrder([node('a', 'b'), node('b', 'c'), node('c', 'a')], 'root')).toThrow(
      expect.objectContaining({ code: 'SUP_BOOT_CYCLE', details: { supervisor: 'root', cycle: ['a', 'b', 'c', 'a'] } }),
    );
  });

  it('fails on a self-dependency', () => {
    expect(() => bootOrder([node('a', 'a')], 'root')).toThrow(expect.objectContaining({ code: 'SUP_BOOT_CYCLE', message: expect.stringContaining('a -> a') }));
  });

  it('fails on a missing dependency, naming both sides', () => {
    expect(() => bootOrder([node('api', 'auth')], 'edge')).toThrow(
      expect.objectContaining({ code: 'SUP_MISSING_DEPENDENCY', details: { supervisor: 'edge', child: 'api', missing: 'auth' } }),
    );
  });

  it('fails on duplicate names', () => {
    expect(() => bootOrder([node('a'), node('a')], 'root')).toThrow(expect.objectContaining({ code: 'SUP_BAD_SPEC' }));
  });
});
