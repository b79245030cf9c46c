import { afterEach, describe, expect, it } from 'vitest';
import { EventBus } from '../../runtime/eventbus.js';
import { LocalTransport } from '../../runtime/local-transport.js';
import { Logger } from '../../runtime/logger.js';
import type { Transport } from '../../runtime/transport.js';
import { connectNats } from '../support/nats.js';
import { deferred } from '../support/wait.js';

describe('event bus', () => {
  const open: Array<{ bus: EventBus; transport: Transport }> = [];
  const make = (transport: Transport = new LocalTransport(), opts = {}): EventBus => {
    const bus = new EventBus(transport, Logger.silent(), opts);
    open.push({ bus, transport });
    return bus;
  };
  afterEach(async () => {
    for (const { bus, transport } of open.splice(0)) {
      await bus.close();
      await transport.close();
    }
  });

  it('runs handlers by priority, highest first, with NATS-style wildcards', async () => {
    const bus = make();
    const order: string[] = [];
    bus.on('system.*', () => void order.push('low'), { priority: -5 });
    bus.on('system.boot', () => void order.push('high'), { priority: 10 });
    bus.on('>', () => void order.push('default'));
    bus.on('data.*', () => void order.push('never'));
    bus.emit('system.boot');
    await bus.settled();
    expect(order).toEqual(['high', 'default', 'low']);
  });

  it('keeps going past a handler that throws or hangs', async () => {
    const bus = make();
    const reached = deferred<string>();
    bus.on('x', () => {
      throw new Error('bad handler');
    }, { priority: 3 });
    bus.on('x', () => new Promise(() => undefined), { priority: 2, timeoutMs: 20 });
    bus.on('x', (e) => void reached.resolve(String(e.payload)), { priority: 1 });
    bus.emit('x', 'still delivered');
    expect(await reached.promise).toBe('still delivered');
  });

  it('stops calling a handler once it is off', async () => {
    const bus = make();
    const seen: unknown[] = [];
    const off = bus.on('t', (e) => void seen.push(e.payload));
    bus.emit('t', 1);
    await bus.settled();
    off();
    bus.emit('t', 2);
    await bus.settled();
    expect(seen).toEqual([1]);
  });

  it('resolves once() with the first matching event only', async () => {
    const bus = make();
    const got = bus.once<number>('n', (e) => e.payload > 1);
    bus.emit('n', 1);
    bus.emit('n', 2);
    bus.emit('n', 3);
    expect((await got).payload).toBe(2);
  });

  it('keeps a bounded history', async () => {
    const bus = make(new LocalTransport(), { historySize: 3 });
    for (let i = 0; i < 5; i++) bus.emit('h', i);
    await bus.settled();
    expect(bus.recent().map((e) => e.payload)).toEqual([2, 3, 4]);
    expect(bus.recent('h', 1).map((e) => e.payload)).toEqual([4]);
  });

  it('carries events between nodes over NATS', async () => {
    const a = make(await connectNats());
    const b = make(await connectNats());
    const topic = `test.${Math.random().toString(36).slice(2)}`;
    const onB = b.once<{ from: string }>(topic);
    const onA = a.once<{ from: string }>(topic);
    await b.ready();
    a.emit(topic, { from: 'a' });
    expect((await onA).payload).toEqual({ from: 'a' });
    expect((await onB).payload).toEqual({ from: 'a' });
  });
});
