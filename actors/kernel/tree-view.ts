import { type ChildStatus, type HealthState, worstHealth } from '../../supervisors/index.js';

export interface ComponentStatus {
  name: string;
  supervisor: string;
  kind: 'supervisor' | 'actor';
  state: string;
  /** `stopped` for a component an operator parked (component:stop): it has no health to report. */
  health: HealthState | 'stopped';
  restarts: number;
  /** The last passing POST's duration (ms). */
  postMs?: number;
}

/** The tree as a flat list, parents before their children. */
export function flatten(statuses: ChildStatus[]): ComponentStatus[] {
  return statuses.flatMap((s) => [
    { name: s.name, supervisor: s.supervisor, kind: s.children ? 'supervisor' : 'actor', state: s.state, health: s.state === 'stopped' ? 'stopped' : s.health, restarts: s.restarts, ...(s.postMs === undefined ? {} : { postMs: s.postMs }) } as ComponentStatus,
    ...flatten(s.children ?? []),
  ]);
}

/**
 * The node's overall health: the worst component. A component restarting, starting or parked
 * by an operator makes the node degraded (still serving); anything else not running, failed.
 */
export function overallHealth(components: ComponentStatus[]): HealthState {
  return worstHealth(components.map((c) => (c.state === 'running' && c.health !== 'stopped' ? c.health : ['restarting', 'starting', 'stopped'].includes(c.state) ? 'degraded' : 'failed')));
}

/** The components that make the node less than healthy, each with why (its state and health). */
export function unhealthy(components: ComponentStatus[]): Array<{ name: string; why: string }> {
  return components.filter((c) => c.state !== 'running' || c.health !== 'healthy').map((c) => ({ name: c.name, why: c.state === 'running' ? c.health : c.state === 'stopped' ? 'stopped (parked: mobo component:start to bring it back)' : c.state }));
}
