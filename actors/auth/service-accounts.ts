import type { DataClient } from '../ds/protocol.js';
import { newId } from './crypto.js';
import { findOne, insertNew, iso, updateExisting, where } from './records.js';
import { SERVICE_ACCOUNTS } from './tables.js';
import type { Row } from '../../adapters/index.js';
import { MoboError } from '../../runtime/index.js';

/**
 * Service accounts: non-human principals (a worker, a device fleet) with a role. They
 * authenticate with API keys bound to them; the key's principal is the account, and
 * the role is the account's (changing or disabling the account affects all its keys).
 */
export interface ServiceAccountInfo {
  id: string;
  project: string;
  name: string;
  role: string;
  created_at: string;
  disabled: boolean;
}

const describe = (row: Row): ServiceAccountInfo => ({
  id: String(row.id),
  project: String(row.project),
  name: String(row.name),
  role: String(row.role),
  created_at: String(row.created_at),
  disabled: row.disabled_at !== null,
});

export class ServiceAccounts {
  constructor(private readonly store: DataClient) {}

  async create(project: string, name: string, role: string, now: number): Promise<ServiceAccountInfo> {
    const row: Row = { name_key: `${project}/${name}`, id: newId('sa'), project, name, role, created_at: iso(now), disabled_at: null };
    await insertNew(this.store, SERVICE_ACCOUNTS, row, () => new MoboError('AUTH_SERVICE_ACCOUNT_EXISTS', undefined, { details: { project, name } }));
    return describe(row);
  }

  async get(project: string, idOrName: string): Promise<ServiceAccountInfo | undefined> {
    const row = (await findOne(this.store, SERVICE_ACCOUNTS, { project, id: idOrName })) ?? (await findOne(this.store, SERVICE_ACCOUNTS, { project, name: idOrName }));
    return row ? describe(row) : undefined;
  }

  async require(project: string, idOrName: string): Promise<ServiceAccountInfo> {
    const found = await this.get(project, idOrName);
    if (!found) throw new MoboError('AUTH_SERVICE_ACCOUNT_NOT_FOUND', undefined, { details: { project, serviceAccount: idOrName } });
    return found;
  }

  async list(project: string): Promise<ServiceAccountInfo[]> {
    return (await this.store.select({ table: SERVICE_ACCOUNTS, where: where({ project }), order: [{ column: 'name', direction: 'asc' }] })).map(describe);
  }

  async setDisabled(project: string, idOrName: string, disabled: boolean, now: number): Promise<ServiceAccountInfo> {
    const { id } = await this.require(project, idOrName);
    return describe(await updateExisting(this.store, SERVICE_ACCOUNTS, { project, id }, { disabled_at: disabled ? iso(now) : null }, 'AUTH_SERVICE_ACCOUNT_NOT_FOUND'));
  }
}
