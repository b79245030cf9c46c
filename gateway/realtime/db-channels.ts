import { channelTopic, type LocalDelivery } from './delivery.js';
import { frame } from './protocol.js';
import { type ChangeEvent, type Filter, matchesFilter, type Row } from '../../adapters/index.js';
import { type EventBus, topics } from '../../runtime/index.js';

export const DB_CHANNEL_PREFIX = 'private-db-';
const SOURCE = /^[a-z][a-z0-9_-]{0,62}$/;

export function dbChannel(source: string, table: string): string {
  return `${DB_CHANNEL_PREFIX}${source}.${table}`;
}

/** `private-db-<source>.<table>` → its parts (the source name never contains a dot). */
export function parseDbChannel(channel: string): { source: string; table: string } | undefined {
  if (!channel.startsWith(DB_CHANNEL_PREFIX)) return undefined;
  const rest = channel.slice(DB_CHANNEL_PREFIX.length);
  const dot = rest.indexOf('.');
  const source = rest.slice(0, dot);
  const table = rest.slice(dot + 1);
  return dot > 0 && table.length > 0 && SOURCE.test(source) ? { source, table } : undefined;
}

/** A MagDS change event as the event bus carries it (`data.<project>.<source>.<table>`). */
export type DataChange = ChangeEvent & { project: string; source: string };

/** The data of a change event on its channel. */
export function changeData(change: DataChange): string {
  return JSON.stringify({ source: change.source, table: change.table, op: change.op, row: change.row ?? null, old: change.old ?? null, at: change.at });
}

interface Group {
  filter: Filter | undefined;
  topic: string;
  refs: number;
}

export class DbChannels {
  /** `project\nsource\ntable` → filter key → group. */
  private readonly tables = new Map<string, Map<string, Group>>();
  private readonly off: () => void;
  private seq = 0;

  constructor(events: EventBus, private readonly delivery: LocalDelivery) {
    this.off = events.on<DataChange>(topics.data.all, (e) => this.deliver(e.payload));
  }

  /**
   * Joins the group of this filter; returns its topic and how to leave. The unfiltered group
   * listens on the channel's own topic, so events published to the channel through the HTTP
   * API reach it too (as on any Pusher server); filtered groups hear database changes only.
   */
  join(appId: string, project: string, source: string, table: string, filter: Filter | undefined): { topic: string; release: () => void } {
    const key = `${project}\n${source}\n${table}`;
    let groups = this.tables.get(key);
    if (!groups) this.tables.set(key, (groups = new Map()));
    const filterKey = filter === undefined ? '' : JSON.stringify(filter);
    let group = groups.get(filterKey);
    if (!group) {
      const topic = filter === undefined ? channelTopic(appId, dbChannel(source, table)) : `db:${project}:${dbChannel(source, table)}#${this.seq++}`;
      groups.set(filterKey, (group = { filter, topic, refs: 0 }));
    }
    group.refs++;
    const joined = group;
    let released = false;
    return {
      topic: group.topic,
      release: () => {
        if (released) return;
        released = true;
        if (--joined.refs > 0) return;
        groups.delete(filterKey);
        if (groups.size === 0) this.tables.delete(key);
      },
    };
  }

  close(): void {
    this.off();
  }

  private deliver(change: DataChange): void {
    const groups = this.tables.get(`${change.project}\n${change.source}\n${change.table}`);
    if (!groups) return;
    const channel = dbChannel(change.source, change.table);
    const text = frame(change.op, changeData(change), channel);
    const tested = change.op === 'DELETE' ? change.old : change.row;
    for (const group of groups.values()) if (visible(group.filter, tested)) this.delivery.publish(group.topic, text);
  }
}

function visible(filter: Filter | undefined, row: Row | undefined): boolean {
  if (filter === undefined) return true;
  if (!row) return false;
  try {
    return matchesFilter(filter, row);
  } catch {
    return false;
  }
}
