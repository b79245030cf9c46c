import { LocalHub, LocalTransport } from '../../runtime/local-transport.js';
import { transportConformance } from './transport.conformance.js';

transportConformance('local (in-process)', async () => {
  const hub = new LocalHub();
  return [new LocalTransport(hub), new LocalTransport(hub)];
});
