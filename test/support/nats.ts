import { NatsTransport } from '../../runtime/nats-transport.js';

/** The NATS server of this machine (CI starts it); override with NATS_URL. */
export const NATS_URL = process.env.NATS_URL ?? '127.0.0.1:4222';

export function connectNats(): Promise<NatsTransport> {
  return NatsTransport.connect({ servers: NATS_URL, name: 'mobo-test' });
}
