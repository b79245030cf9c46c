import { connectNats } from '../support/nats.js';
import { transportConformance } from './transport.conformance.js';

transportConformance('nats (two connections to the real server)', async () => [await connectNats(), await connectNats()]);
