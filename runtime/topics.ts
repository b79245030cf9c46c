/**
 * Every event-bus topic of the node, from one place. Each family has its own root, so a
 * wildcard of one family (`data.>`, `job.>`) never hears another:
 *
 *   data.<project>.<source>.<table>       committed changes of a table (MagDS change feeds)
 *   job.<kind>.<progress|done|failed>     background jobs (MagBackup, MagBridge …)
 *   job.<kind>.schedule.<changed|tick>    their schedules
 *   security.<event>                      audit and credential changes (security.auth.<change>)
 *   system.<event>                        node-wide: ready, post, config changed, escalated
 *   health.<event>                        health state transitions
 *   component.<event>                     component lifecycle (started, stopped, exited, restarted)
 *   api.<event>                           edge bookkeeping shared across nodes (rate-limit spending)
 *
 * Topic tokens are letters, digits, `_` and `-`; anything else in a name becomes `_`.
 */
export const TOPIC_ROOTS = ['data', 'job', 'security', 'system', 'health', 'component', 'api'] as const;
export type TopicRoot = (typeof TOPIC_ROOTS)[number];

const token = (name: string): string => name.replace(/[^A-Za-z0-9_-]/g, '_');

/** One row changed by a committed write, as a change feed publishes it. */
export interface DataChangeEvent {
  project: string;
  source: string;
  table: string;
  op: 'INSERT' | 'UPDATE' | 'DELETE';
  [more: string]: unknown;
}

export type JobPhase = 'progress' | 'done' | 'failed';

export const topics = {
  data: {
    /** The change feed of one table. */
    change: (project: string, source: string, table: string): string => `data.${token(project)}.${token(source)}.${token(table)}`,
    /** Every change feed of every source. */
    all: 'data.>',
    /** Every table of one source. */
    ofSource: (project: string, source: string): string => `data.${token(project)}.${token(source)}.*`,
  },
  job: {
    /** The root a job table of one kind emits under (`job.<kind>.<phase>`). */
    root: (kind: string): string => `job.${token(kind)}`,
    event: (kind: string, phase: JobPhase): string => `job.${token(kind)}.${phase}`,
    /** Every phase of every job of one kind (not its schedule). */
    ofKind: (kind: string): string => `job.${token(kind)}.*`,
    schedule: (kind: string, what: 'changed' | 'tick'): string => `job.${token(kind)}.schedule.${what}`,
    all: 'job.>',
  },
  security: {
    event: (name: string): string => `security.${name}`,
    all: 'security.>',
  },
  system: {
    event: (name: string): string => `system.${name}`,
    all: 'system.>',
  },
  health: {
    changed: 'health.changed',
    all: 'health.>',
  },
} as const;
