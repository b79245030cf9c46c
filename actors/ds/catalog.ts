import { z } from 'zod';
import { createAdapter, dropChangeCapture } from '../../adapters/index.js';
import { captureKey, changeRelayFor } from './capture.js';
import type { ChangeRelay, Row, SourceConfig } from '../../adapters/index.js';
import type { ActorSlot, Board, PoolSlot } from '../board.js';
import { SecretBox } from '../kernel/secret-box.js';
import { controlStore } from '../kernel/store-slot.js';
import { CATALOG_TABLES, PROJECTS, SOURCE_EXTRAS, SOURCES, ensureTables } from './catalog-tables.js';
import { Provisioner, sourceConfig, type ProvisionRecord } from './provision.js';
import { connectionBehavior } from './connection.js';
import { reservedProjectName, resourceName, SYSTEM_PREFIXES } from './names.js';
import { WriteRecords } from './write-records.js';
import { DataClient, sourceAddress, type SourceStatus } from './protocol.js';
import { type Behavior, describeError, dispatch, isMoboError, MoboError, on, redactSecrets, type TimerHandle, withTimeout } from '../../runtime/index.js';
import type { ChildSpec, ChildStatus } from '../../supervisors/index.js';

/** The supervisor holding one connection actor per (project, source). */
export const dsPoolSlot: PoolSlot = {
  name: 'ds',
  group: 'data',
  // Sources are outside our control: an outage must not escalate and take the node down.
  supervises: { strategy: 'one_for_one', intensity: { maxRestarts: 1_000, periodMs: 60_000 } },
};

/**
 * Messages a connection actor takes at once, per pooled connection: the surplus waits in the
 * pool's queue, where concurrent inserts share commits and statements (group-commit.ts).
 */
const IN_FLIGHT_PER_CONNECTION = 4;

export const sourceInput = z.object({
  project: resourceName,
  name: resourceName,
  kind: z.enum(['postgres', 'sqlite', 'mysql', 'redis', 'mongodb']),
  url: z.string().min(1).max(4_096),
  namespace: z.string().min(1).max(200).optional(),
  poolMax: z.number().int().min(1).max(200).optional(),
  /** Postgres: a direct URL for the change feed when `url` points at a pooler in transaction mode. */
  feedUrl: z.string().min(1).max(4_096).optional(),
  /** Connect once before saving (default true). */
  test: z.boolean().optional(),
});
const projectRef = z.object({ project: resourceName });
/** `source`: also give the project a default source of that name (provision.ts). */
const projectCreate = projectRef.extend({ source: resourceName.optional() });
const sourceRef = projectRef.extend({ name: resourceName });

export interface SourceInfo {
  project: string;
  name: string;
  kind: string;
  /** The URL without credentials. */
  location: string;
  namespace?: string;
  poolMax?: number;
}

/** Announces on the bus that a node added or removed a source, so every node's tree follows. */
export const SOURCES_CHANGED_TOPIC = 'component.catalog.sources';

interface SourcesChanged {
  node: string;
  project: string;
  name: string;
}

/**
 * Projects and their data sources (MagDS). Source credentials are sealed with the node's
 * secret key before they are stored. Adding a source starts its connection actor under
 * `ds`; at boot every stored source gets its actor back. In a cluster (one control store),
 * a source added or removed on one node is started or stopped on every other node too: each
 * node keeps its own connection actor, pool and change feed per source.
 */
/** How often each node compares its connection actors with the stored sources, in case it missed an announcement. */
const RECONCILE_EVERY_MS = 30_000;

/**
 * The connection actors running under `ds`, each with the version (the stored row's
 * created_at) it was started from, read from the tree itself: the spec's tag. A source
 * removed and added again elsewhere with new settings has a new version, and is restarted
 * here. Nothing is kept outside supervision, so a restarted catalog reads the truth back.
 */
function runningVersions(board: Board): Map<string, string | undefined> {
  const find = (statuses: ChildStatus[]): ChildStatus | undefined => {
    for (const s of statuses) {
      if (s.name === dsPoolSlot.name && s.children) return s;
      const below = s.children && find(s.children);
      if (below) return below;
    }
    return undefined;
  };
  return new Map((find(board.tree.statuses())?.children ?? []).map((c) => [c.name, c.tag]));
}

export const catalogSlot: ActorSlot = {
  name: 'catalog',
  group: 'data',
  dependsOn: ['ds'],
  behavior: (board: Board): Behavior => {
    const store = controlStore(board);
    const records = new WriteRecords(store);
    const config = board.configStore.current();
    const box = SecretBox.forNode(config.dataDir, config.secrets.key);
    const provisioner = new Provisioner(config.dataDir, config.ds.provision);

    const relayOf = (source: SourceConfig): { relay?: ChangeRelay } => {
      const relay = source.kind === 'postgres' ? changeRelayFor(config, board.log) : undefined;
      return relay ? { relay } : {};
    };

    /** Starts the source's connection actor under `ds`, remembering which version of the source it serves. */
    const startConnection = async (row: Row): Promise<void> => {
      const [extras] = await store.select({ table: SOURCE_EXTRAS, where: { op: 'eq', column: 'id', value: String(row.id) } });
      const spec = connectionSpec(row, extras);
      await board.tree.addChildTo(dsPoolSlot.name, spec);
    };

    /** A stored source's settings on this node. */
    const connectionSource = (row: Row, extras: Row | undefined, project: string, name: string): SourceConfig => {
      const source: SourceConfig = sourceConfig(config.ds, { kind: row.kind as SourceConfig['kind'], url: box.open(String(row.url_sealed)) });
      if (row.namespace) source.namespace = String(row.namespace);
      if (extras?.feed_url_sealed) source.feedUrl = box.open(String(extras.feed_url_sealed));
      source.pool = { ...source.pool, max: Number(row.pool_max ?? config.ds.poolMax) };
      if (source.kind === 'postgres') source.captureKey = captureKey(config, project, name);
      return source;
    };

    const connectionSpec = (row: Row, extras: Row | undefined): ChildSpec => {
      const project = String(row.project);
      const name = String(row.name);
      const source = connectionSource(row, extras, project, name);
      return {
        name: `${project}.${name}`,
        tag: String(row.created_at),
        create: () =>
          board.system.spawn(sourceAddress(project, name), () => connectionBehavior({ project, source: name, config: source, watch: true, records, ...relayOf(source) }, board.system.events), {
            mailbox: { concurrency: IN_FLIGHT_PER_CONNECTION * (source.pool?.max ?? config.ds.poolMax) },
            queue: 'ds',
            downError: 'DS_UNAVAILABLE',
          }),
      };
    };

    const getProject = async (project: string): Promise<Row> => {
      const [row] = await store.select({ table: PROJECTS, where: { op: 'eq', column: 'name', value: project } });
      if (!row) throw new MoboError('DS_PROJECT_NOT_FOUND', `No project "${project}"`, { details: { project } });
      return row;
    };
    const getSource = async (project: string, name: string): Promise<Row> => {
      const [row] = await store.select({ table: SOURCES, where: { op: 'eq', column: 'id', value: `${project}/${name}` } });
      if (!row) throw new MoboError('DS_SOURCE_NOT_FOUND', `No source "${name}" in project "${project}"`, { details: { project, source: name } });
      return row;
    };
    const client = (project: string, name: string): DataClient => new DataClient(board.system.ref(sourceAddress(project, name)));

    /** Saves a source (tried first unless `test` is false) and starts its connection actor. */
    const addSource = async (input: z.infer<typeof sourceInput>, provisioned?: ProvisionRecord): Promise<SourceInfo> => {
        const source: SourceConfig = sourceConfig(config.ds, { kind: input.kind, url: input.url });
        if (input.namespace) source.namespace = input.namespace;
        if (input.feedUrl) source.feedUrl = input.feedUrl;
        if (input.test !== false) await testConnection(source);
        const row: Row = {
          id: `${input.project}/${input.name}`,
          project: input.project,
          name: input.name,
          kind: input.kind,
          url_sealed: box.seal(input.url),
          namespace: input.namespace ?? null,
          pool_max: input.poolMax ?? null,
          created_at: new Date().toISOString(),
        };
        await store.insert(SOURCES, [row], false).catch((err: unknown) => {
          throw isMoboError(err, 'DS_CONFLICT') ? new MoboError('DS_SOURCE_EXISTS', `Project "${input.project}" already has a source "${input.name}"`, { details: { project: input.project, source: input.name } }) : err;
        });
        if (input.feedUrl || provisioned) {
          await store.insert(SOURCE_EXTRAS, [{ id: row.id, feed_url_sealed: input.feedUrl ? box.seal(input.feedUrl) : null, provisioned: provisioned ? JSON.stringify(provisioned) : null }], false);
        }
        await startConnection(row);
        announce(input.project, input.name);
        return describeSource(row, input.url);
    };

    const handlers = {
      'project.create': on(projectCreate, async ({ project, source }) => {
        const reserved = reservedProjectName(project);
        if (reserved) throw new MoboError('DS_PROJECT_NAME_RESERVED', `Project name ${reserved}`, { details: { project, reserved: [...SYSTEM_PREFIXES] } });
        const created_at = new Date().toISOString();
        await store.insert(PROJECTS, [{ name: project, created_at }], false).catch((err: unknown) => {
          throw isMoboError(err, 'DS_CONFLICT') ? new MoboError('DS_PROJECT_EXISTS', `Project "${project}" already exists`, { details: { project } }) : err;
        });
        if (!source) return { project, created_at };
        try {
          const made = await provisioner.create(project);
          const info = await addSource({ project, name: source, kind: made.kind, url: made.url, test: true }, made.provisioned);
          return { project, created_at, source: info };
        } catch (err) {
          await store.delete(PROJECTS, { op: 'eq', column: 'name', value: project }, false).catch(() => undefined);
          throw err;
        }
      }),
      'project.list': on(z.null().optional(), async () => {
        const projects = await store.select({ table: PROJECTS, order: [{ column: 'name', direction: 'asc' }] });
        const sources = await store.select({ table: SOURCES, columns: ['project'] });
        return projects.map((p) => ({ project: p.name, created_at: p.created_at, sources: sources.filter((s) => s.project === p.name).length }));
      }),
      'project.delete': on(projectRef.extend({ force: z.boolean().optional() }), async ({ project, force }) => {
        await getProject(project);
        const sources = await store.select({ table: SOURCES, where: { op: 'eq', column: 'project', value: project } });
        if (sources.length > 0 && !force) {
          throw new MoboError('DS_CONFLICT', `Project "${project}" still has ${sources.length} source(s); remove them or use --force`, { details: { project } });
        }
        for (const s of sources) await removeSource(project, String(s.name), { dropProvisioned: true });
        await store.delete(PROJECTS, { op: 'eq', column: 'name', value: project }, false);
        return { project, deleted: true };
      }),
      'source.add': on(sourceInput, async (input) => {
        await getProject(input.project);
        return addSource(input);
      }),
      /** Another node changed a source: make this node's tree match the control store. */
      'source.sync': on(sourceRef, async ({ project, name }) => {
        const [row] = await store.select({ table: SOURCES, where: { op: 'eq', column: 'id', value: `${project}/${name}` } });
        await reconcile(`${project}.${name}`, row);
      }),
      /** Every source at once: catches up on announcements this node missed (NATS away, a restart). */
      'sources.reconcile': on(z.null().optional(), () => reconcileAll()),
      'source.list': on(projectRef, async ({ project }) => {
        await getProject(project);
        const rows = await store.select({ table: SOURCES, where: { op: 'eq', column: 'project', value: project }, order: [{ column: 'name', direction: 'asc' }] });
        return rows.map((r) => describeSource(r, box.open(String(r.url_sealed))));
      }),
      'source.remove': on(sourceRef, async ({ project, name }) => {
        await getSource(project, name);
        await removeSource(project, name);
        return { project, name, removed: true };
      }),
      'source.test': on(sourceRef, async ({ project, name }): Promise<SourceStatus> => {
        await getSource(project, name);
        return client(project, name).status();
      }),
      'source.tables': on(sourceRef, async ({ project, name }) => {
        await getSource(project, name);
        return (await client(project, name).schema(true)).tables;
      }),
    };

    const stopConnection = async (child: string): Promise<void> => {
      await board.tree.removeChild(child).catch((err: unknown) => {
        if (!isMoboError(err, 'SUP_CHILD_NOT_FOUND')) throw err;
      });
    };
    /** Makes one source's connection actor match its stored row: started, restarted on a newer version, or stopped. */
    const reconcile = async (child: string, row: Row | undefined, versions = runningVersions(board)): Promise<void> => {
      const running = versions.has(child);
      const current = row !== undefined && versions.get(child) === String(row.created_at);
      if (running && !current) await stopConnection(child);
      if (row && !current) await startConnection(row);
    };
    const reconcileAll = async (): Promise<void> => {
      const rows = new Map((await store.select({ table: SOURCES })).map((row) => [`${String(row.project)}.${String(row.name)}`, row]));
      // Read from the tree once: each source only changes its own entry (a thousand sources at boot).
      const versions = runningVersions(board);
      for (const child of versions.keys()) if (!rows.has(child)) await reconcile(child, undefined, versions);
      for (const [child, row] of rows) await reconcile(child, row, versions);
    };
    /** Stops and forgets a source; with `dropProvisioned`, what was provisioned for it is dropped too (its data goes). */
    const removeSource = async (project: string, name: string, options: { dropProvisioned?: boolean } = {}): Promise<void> => {
      const id = `${project}/${name}`;
      await stopConnection(`${project}.${name}`);
      const [extras] = await store.select({ table: SOURCE_EXTRAS, where: { op: 'eq', column: 'id', value: id } });
      await forgetChanges(project, name, extras);
      if (options.dropProvisioned && extras?.provisioned) await provisioner.drop(JSON.parse(String(extras.provisioned)) as ProvisionRecord);
      await store.delete(SOURCE_EXTRAS, { op: 'eq', column: 'id', value: id }, false);
      await store.delete(SOURCES, { op: 'eq', column: 'id', value: id }, false);
      announce(project, name);
    };
    /** A removed source's replication slot and publication go (a slot nobody reads holds WAL forever), and its change stream. */
    const forgetChanges = async (project: string, name: string, extras: Row | undefined): Promise<void> => {
      const [row] = await store.select({ table: SOURCES, where: { op: 'eq', column: 'id', value: `${project}/${name}` } });
      if (!row || row.kind !== 'postgres') return;
      const source = connectionSource(row, extras, project, name);
      await dropChangeCapture(source, relayOf(source).relay).catch((err: unknown) =>
        board.log.warn('change capture not dropped: drop its replication slot by hand', { project, source: name, key: source.captureKey, error: describeError(err) }),
      );
    };
    const announce = (project: string, name: string): void => {
      board.system.events.emit(SOURCES_CHANGED_TOPIC, { node: board.nodeId, project, name } satisfies SourcesChanged);
    };
    let offSourcesChanged: (() => void) | undefined;
    let reconcileTimer: TimerHandle | undefined;

    return {
      async start(ctx) {
        // Listen first: a change announced while the stored sources are read is handled right after.
        offSourcesChanged = board.system.events.on<SourcesChanged>(SOURCES_CHANGED_TOPIC, ({ payload }) => {
          if (payload.node !== board.nodeId) ctx.self.tell('source.sync', { project: payload.project, name: payload.name });
        });
        await ensureTables(store, CATALOG_TABLES);
        await reconcileAll();
        const tick = (): void => {
          reconcileTimer = ctx.clock.setTimeout(() => {
            ctx.self.tell('sources.reconcile', null);
            tick();
          }, RECONCILE_EVERY_MS);
        };
        tick();
        ctx.log.debug('catalog ready');
      },
      stop(ctx) {
        offSourcesChanged?.();
        if (reconcileTimer) ctx.clock.clearTimeout(reconcileTimer);
      },
      receive: (msg, ctx) => dispatch(handlers, msg, ctx),
    };
  },
};

async function testConnection(source: SourceConfig): Promise<void> {
  const adapter = createAdapter(source);
  try {
    await withTimeout(adapter.connect(), 5_000, () => new MoboError('DS_UNAVAILABLE', 'Connecting timed out'));
    const health = await adapter.health();
    if (health.status !== 'ok') throw new MoboError('DS_UNAVAILABLE', 'The source does not answer');
  } catch (err) {
    throw isMoboError(err, 'DS_UNAVAILABLE')
      ? new MoboError('DS_UNAVAILABLE', redactSecrets(`Cannot reach the ${source.kind} source: ${err.message}`), { details: { kind: source.kind } })
      : new MoboError('DS_UNAVAILABLE', `Cannot reach the ${source.kind} source`, { details: { kind: source.kind, reason: redactSecrets(describeError(err)).slice(0, 200) } });
  } finally {
    await adapter.close().catch(() => undefined);
  }
}

/** What may be shown of a source: never its credentials. */
function describeSource(row: Row, url: string): SourceInfo {
  const info: SourceInfo = { project: String(row.project), name: String(row.name), kind: String(row.kind), location: redactUrl(url) };
  if (row.namespace) info.namespace = String(row.namespace);
  if (row.pool_max !== null && row.pool_max !== undefined) info.poolMax = Number(row.pool_max);
  return info;
}

/** A source URL as it may be shown: every password form masked (runtime/redact.ts). */
export function redactUrl(url: string): string {
  return redactSecrets(url);
}
