/**
 * Realtime apps and the projects they serve: one Pusher app per project.
 *
 * - Apps listed in `realtime.apps` (say, an existing Soketi app's id/key/secret) are used as given.
 * - Any other project gets an app on first use, stored in the control store
 *   (`mobo_realtime_apps`): app id = the project name, a random public key `pk_…`, and a
 *   random secret sealed with the node's secret key. Every node of a cluster shares the
 *   control store and `secrets.key`, so every node knows every app.
 */
import { randomBytes } from 'node:crypto';
import type { Board } from '../../actors/board.js';
import { LoadingCache } from '../../actors/auth/loading-cache.js';
import { findOne } from '../../actors/auth/records.js';
import { PROJECTS, ensureTables } from '../../actors/ds/catalog-tables.js';
import { SecretBox } from '../../actors/kernel/secret-box.js';
import { controlStore } from '../../actors/kernel/store-slot.js';
import type { AppCredentials } from './signatures.js';
import type { Row, TableInfo } from '../../adapters/index.js';
import { isMoboError, MoboError } from '../../runtime/index.js';

export interface RealtimeApp extends AppCredentials {
  id: string;
  project: string;
}

export interface AppDirectory {
  byKey(key: string): Promise<RealtimeApp>;
  byId(id: string): Promise<RealtimeApp>;
  /** The project's app, made on first use (WS_APP_NOT_FOUND for a project that does not exist). */
  forProject(project: string): Promise<RealtimeApp>;
}

const APPS = 'mobo_realtime_apps';
const text = (name: string) => ({ name, type: 'text' as const, nativeType: 'text', nullable: false, hasDefault: false });
const APPS_TABLE: TableInfo = { name: APPS, primaryKey: ['project'], columns: [text('project'), text('app_key'), text('secret_sealed'), text('created_at')] };

const notFound = (details: Record<string, unknown>) => new MoboError('WS_APP_NOT_FOUND', undefined, { details });

/** `storeApps: false` (connector mode): only the configured apps exist, as the external server knows them. */
export function appDirectory(board: Board, opts: { storeApps: boolean }): AppDirectory {
  const config = board.configStore.current();
  const configured = config.realtime.apps;
  const store = controlStore(board);
  const box = SecretBox.forNode(config.dataDir, config.secrets.key);
  const cache = new LoadingCache<RealtimeApp>(10_000, 60_000, board.system.clock);
  let tableReady: Promise<void> | undefined;
  const table = (): Promise<void> => (tableReady ??= ensureTables(store, [APPS_TABLE]).catch((err: unknown) => ((tableReady = undefined), Promise.reject(err))));

  const fromRow = (row: Row): RealtimeApp => ({ id: String(row.project), project: String(row.project), key: String(row.app_key), secret: box.open(String(row.secret_sealed)) });
  const stored = async (column: 'project' | 'app_key', value: string): Promise<RealtimeApp | undefined> => {
    await table();
    const row = await findOne(store, APPS, { [column]: value });
    return row ? fromRow(row) : undefined;
  };
  const found = (app: RealtimeApp | undefined, details: Record<string, unknown>): RealtimeApp => {
    if (!app) throw notFound(details);
    return app;
  };

  const create = async (project: string): Promise<RealtimeApp> => {
    if (!(await findOne(store, PROJECTS, { name: project }))) throw notFound({ project });
    const app: RealtimeApp = { id: project, project, key: `pk_${randomBytes(12).toString('hex')}`, secret: randomBytes(32).toString('hex') };
    const row: Row = { project, app_key: app.key, secret_sealed: box.seal(app.secret), created_at: new Date().toISOString() };
    try {
      await store.insert(APPS, [row], false);
      return app;
    } catch (err) {
      // Another node made it a moment ago: theirs wins.
      if (!isMoboError(err, 'DS_CONFLICT')) throw err;
      return found(await stored('project', project), { project });
    }
  };

  const byProject = async (project: string, make: boolean): Promise<RealtimeApp | undefined> => {
    const listed = configured.find((a) => a.project === project);
    if (listed) return listed;
    if (!opts.storeApps) return undefined;
    const app = await cache.get(`p/${project}`, () => stored('project', project));
    if (app || !make) return app;
    const made = await create(project);
    cache.set(`p/${project}`, made);
    return made;
  };

  return {
    async byKey(key) {
      const listed = configured.find((a) => a.key === key);
      if (listed) return listed;
      if (!opts.storeApps || !key.startsWith('pk_')) throw notFound({});
      return found(await cache.get(`k/${key}`, () => stored('app_key', key)), {});
    },
    async byId(id) {
      return found(configured.find((a) => a.id === id) ?? (await byProject(id, false)), { app: id });
    },
    async forProject(project) {
      return found(await byProject(project, true), { project });
    },
  };
}
