import type { Board } from '../board.js';
import { catalogSlot } from '../ds/catalog.js';
import { DataClient, sourceAddress } from '../ds/protocol.js';
import { controlClient } from '../kernel/control-actor.js';
import type { SecretBox } from '../kernel/secret-box.js';
import { controlSource, controlStore } from '../kernel/store-slot.js';
import { ArchiveReader } from './archive-reader.js';
import { writeArchive, type Progress } from './create.js';
import type { ArchiveLibrary } from './library.js';
import type { Manifest, PartEntry } from './manifest.js';
import { restoreArchive, type RestoreCheckpoint, type RestoreResult } from './restore.js';
import { expired, type RetentionRule } from './retention.js';
import { archivedConfig, type BackupSettings } from './settings.js';
import { backupTargets, restoreTarget, type DataTarget } from './targets.js';
import { moboVersion } from './version.js';
import { trialInScratch, verifyArchive, type VerifyReport } from './verify.js';
import { isMoboError, MoboError } from '../../runtime/index.js';

export interface RestoreRequest {
  id: string;
  project?: string;
  force: boolean;
}

export interface RestoreReport extends RestoreResult {
  id: string;
  /** Parts not applied: the config (kept for reference; a config change needs a restart). */
  skipped: string[];
}

type OnProgress = (progress: Progress) => void;

/** MagBackup's operations on the node, apart from how they are asked for (the actor) and when (the scheduler). */
export class BackupService {
  constructor(
    private readonly board: Board,
    private readonly settings: BackupSettings,
    private readonly library: ArchiveLibrary,
    private readonly box: SecretBox,
    private readonly now: () => Date,
    /** The failure-injection hook of restores (tests); default none. */
    private readonly checkpoint?: RestoreCheckpoint,
  ) {}

  async create(reason: string, onProgress: OnProgress): Promise<Manifest> {
    const targets = await backupTargets(this.board, this.box);
    return this.write(reason, targets, onProgress, archivedConfig(this.board.configStore.current(), this.board.configStore.loadOptions.sections));
  }

  async verify(id: string, onProgress: OnProgress): Promise<VerifyReport> {
    const reader = await this.open(id);
    try {
      return await verifyArchive(reader, onProgress);
    } finally {
      await reader.close();
    }
  }

  async restore(request: RestoreRequest, onProgress: OnProgress): Promise<RestoreReport> {
    const reader = await this.open(request.id);
    try {
      // restoreArchive verifies the checksums before it writes anything.
      onProgress({ step: 'checksums', done: 0, total: 1, rows: 0 });
      const parts = this.partsToRestore(reader, request);
      const control = controlSource(this.board.configStore.current());
      const targets = parts.map((p) => restoreTarget(p, control, this.box));
      const result = await restoreArchive({
        reader,
        targets,
        force: request.force,
        safetyCopy: async (targets, tables) => {
          const manifest = await this.write(`pre-restore of ${request.id}`, targets, () => undefined, undefined, tables);
          return this.open(manifest.id);
        },
        trial: trialInScratch,
        ...(this.checkpoint ? { checkpoint: this.checkpoint } : {}),
        onProgress,
      }).catch(async (err: unknown) => {
        // Rolled back: the tables are the previous ones again, but new objects; connections catch up as after a success.
        if (isMoboError(err, 'BACKUP_RESTORE_FAILED')) await this.reattach(parts).catch(() => undefined);
        throw err;
      });
      await this.reattach(parts);
      return { ...result, id: request.id, skipped: request.project ? [] : ['config'] };
    } finally {
      await reader.close();
    }
  }

  async prune(rule: RetentionRule, dryRun: boolean): Promise<{ removed: string[]; kept: string[] }> {
    const all = await this.library.list(this.settings.cipher);
    const removed = expired(all, rule, this.now().getTime()).map((a) => a.id);
    if (!dryRun) for (const id of removed) await this.library.remove(id);
    return { removed, kept: all.map((a) => a.id).filter((id) => !removed.includes(id)) };
  }

  private async write(reason: string, targets: DataTarget[], onProgress: OnProgress, config?: Record<string, unknown>, tables?: (t: DataTarget) => ReadonlySet<string>): Promise<Manifest> {
    await this.library.ensure();
    const createdAt = this.now();
    const id = this.library.newId(createdAt);
    return writeArchive({
      path: this.library.path(id),
      identity: { id, node: this.board.nodeId, moboVersion: moboVersion(), createdAt: createdAt.toISOString(), reason },
      cipher: this.settings.cipher,
      targets,
      now: this.now,
      onProgress,
      ...(config ? { config } : {}),
      ...(tables ? { tables } : {}),
    });
  }

  private open(id: string): Promise<ArchiveReader> {
    return ArchiveReader.open(this.library.path(id), this.settings.cipher);
  }

  private partsToRestore(reader: ArchiveReader, request: RestoreRequest): PartEntry[] {
    const { parts } = reader.manifest;
    if (!request.project) return parts.filter((p) => p.kind !== 'config');
    const chosen = parts.filter((p) => p.kind === 'source' && p.project === request.project);
    if (chosen.length === 0) {
      throw new MoboError('BACKUP_NOT_FOUND', `Backup ${request.id} holds no data of project "${request.project}"`, { details: { id: request.id, project: request.project } });
    }
    return chosen;
  }

  /**
   * After a restore the running node catches up: the catalog re-reads a restored control
   * store (and starts connections for its sources), a project restored on its own gets its
   * catalog entries back if they were gone, and each restored source's connection restarts
   * (fresh schema, change-feed triggers on the new tables).
   */
  /** Another component's restart is an operator command: it goes through the control actor. */
  private async restart(name: string): Promise<void> {
    await controlClient(this.board).restart(name, RESTART_TIMEOUT_MS);
  }

  private async reattach(parts: PartEntry[]): Promise<void> {
    const catalog = this.board.system.ref(this.board.address('catalog'));
    if (parts.some((p) => p.kind === 'control')) {
      await controlStore(this.board).schema(true);
      await this.restart(catalogSlot.name);
    } else {
      for (const p of parts) {
        await catalog.ask('project.create', { project: p.project }).catch(ignore('DS_PROJECT_EXISTS'));
        const source = { project: p.project, name: p.source, kind: p.adapter, url: this.box.open(p.sealedUrl!), test: false, ...(p.namespace ? { namespace: p.namespace } : {}), ...(p.poolMax ? { poolMax: p.poolMax } : {}) };
        await catalog.ask('source.add', source).catch(ignore('DS_SOURCE_EXISTS'));
      }
    }
    for (const p of parts.filter((part) => part.kind === 'source')) {
      await this.restart(`${p.project}.${p.source}`).catch(async () => {
        await new DataClient(this.board.system.ref(sourceAddress(p.project!, p.source!))).schema(true).catch(() => undefined);
      });
    }
  }
}

/** Long enough for the catalog to re-read its sources and reconnect them. */
const RESTART_TIMEOUT_MS = 60_000;

function ignore(code: 'DS_PROJECT_EXISTS' | 'DS_SOURCE_EXISTS'): (err: unknown) => void {
  return (err) => {
    if (!isMoboError(err, code)) throw err;
  };
}
