import * as members from '../../bench/members.js';
import { NATS_URL } from './nats.js';

export type { MemberEvent, MemberProcess } from '../../bench/members.js';
export { clusterId, stopMembers } from '../../bench/members.js';

/**
 * Bare cluster member processes (dist/bench/cluster-member.js, built by `npm test`) on the
 * machine's NATS; each test uses a fresh cluster id and drops its buckets at the end.
 */
export const spawnMember = (cluster: string, node: string, env: Record<string, string> = {}): members.MemberProcess => members.spawnMember(NATS_URL, cluster, node, env);
export const dropClusterBuckets = (cluster: string): Promise<void> => members.dropClusterBuckets(NATS_URL, cluster);
