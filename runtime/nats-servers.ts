/**
 * Where a node finds NATS and how its JetStream state is kept, as every NATS-opening module
 * takes it. `transport.natsUrl` is one server or a comma-separated list (`a:4222,b:4222`):
 * nats.js takes a list only as an array, and a string with commas would be one bad address,
 * so a node of a NATS cluster could not boot while the first server listed is down.
 */
export function natsServers(servers: string | readonly string[]): string[] {
  const list = typeof servers === 'string' ? servers.split(',') : [...servers];
  return list.map((s) => s.trim()).filter((s) => s.length > 0);
}

/**
 * Replicas of every stream and KV bucket a node creates (`transport.replicas`): 1 on a single
 * NATS server; 3 on a three-server JetStream cluster, so losing one server loses no state
 * (membership, leases, the change relay). An existing stream keeps the replicas it was made with.
 */
export const DEFAULT_REPLICAS = 1;
