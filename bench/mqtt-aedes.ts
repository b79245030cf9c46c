/**
 * The bench's baseline: bare aedes 1.x on a TCP port, no auth, in-memory persistence, in a
 * process of its own (as MagMQTT and Mosquitto run in theirs). Prints `PORT <n>` when listening.
 * Not part of the product: MagMQTT imports aedes in actors/mqtt/broker.ts only.
 */
import { createServer, type AddressInfo } from 'node:net';
import { Aedes } from 'aedes';

const broker = await Aedes.createBroker();
const server = createServer((socket) => broker.handle(socket));
server.listen(0, '127.0.0.1', () => console.log(`PORT ${(server.address() as AddressInfo).port}`));
process.on('SIGTERM', () => broker.close(() => server.close(() => process.exit(0))));
