import { describe, expect, it } from 'vitest';
import { createEnvelope } from '../../runtime/envelope.js';
import { connectNats } from '../support/nats.js';
import { transportConformance } from './transport.conformance.js';

transportConformance('nats (two connections to the real server)', async () => [await connectNats(), await connectNats()]);

describe('NATS transport asks', () => {
  it('an ask still waiting when its connection closes is answered TRANSPORT_CLOSED, never left hanging', async () => {
    const [a, b] = [await connectNats(), await connectNats()];
    const address = `t${Math.random().toString(36).slice(2, 10)}.silent`;
    let arrived!: () => void;
    const reached = new Promise<void>((resolve) => (arrived = resolve));
    await a.listen(address, () => {
      arrived();
      return new Promise(() => undefined);
    });
    const asked = b.ask(createEnvelope(address, 'x', null), 60_000).catch((e: unknown) => e);
    await reached;
    await b.close();
    expect(await asked).toMatchObject({ code: 'TRANSPORT_CLOSED' });
    await a.close();
  });
});
