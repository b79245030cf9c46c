import type { ChildStatus } from '../../supervisors/supervisor.js';
import { worstHealth, type HealthState } from '../../supervisors/health.js';

export interface ComponentStatus {
  name: string;
  supervisor: string;
  kind: 'supervisor' | 'actor';
  state: string;
  health: HealthState;
  restarts: number;
}

/** The tree as a flat list, parents before their children. */
export function flatten(statuses: ChildStatus[]): ComponentStatus[] {
  return statuses.flatMap((s) => [
    { name: s.name, supervisor: s.supervisor, kind: s.children ? 'supervisor' : 'actor', state: s.state, health: s.health, restarts: s.restarts } as ComponentStatus,
    ...flatten(s.children ?? []),
  ]);
}

/** The node's overall health: the worst component, and anything not running counts as failed. */
export function overallHealth(components: ComponentStatus[]): HealthState {
  return worstHealth(components.map((c) => (c.state === 'running' ? c.health : c.state === 'restarting' || c.state === 'starting' ? 'degraded' : 'failed')));
}
