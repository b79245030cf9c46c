import type { Board } from '../board.js';
import { PROJECTS } from '../ds/catalog-tables.js';
import type { DataClient } from '../ds/protocol.js';
import { SecretBox } from '../kernel/secret-box.js';
import { controlStore } from '../kernel/store-slot.js';
import { ApiKeys } from './api-keys.js';
import { announceAuthChange, type AuthChange } from './invalidation.js';
import { Owners } from './owners.js';
import { findOne } from './records.js';
import { RefreshTokens } from './refresh-tokens.js';
import { Policies } from './policies.js';
import { ProjectSettings } from './project-settings.js';
import { Roles } from './roles.js';
import { RowRules } from './row-rules.js';
import { ServiceAccounts } from './service-accounts.js';
import { loadSigner, type Signer } from './signing-keys.js';
import { Users } from './users.js';
import { type Clock, MoboError } from '../../runtime/index.js';

/** What the auth actor's handlers share: the stores, the clock, the signer, and change announcements. */
export interface AuthDeps {
  board: Board;
  store: DataClient;
  box: SecretBox;
  clock: Clock;
  users: Users;
  apiKeys: ApiKeys;
  roles: Roles;
  rules: RowRules;
  accounts: ServiceAccounts;
  refresh: RefreshTokens;
  policies: Policies;
  settings: ProjectSettings;
  owners: Owners;
  signer(): Promise<Signer>;
  /** Clears this node's caches now and tells every other node. */
  announce(change: AuthChange, project?: string): void;
  requireProject(project: string): Promise<void>;
}

export function authDeps(board: Board): AuthDeps & { forgetSigner(): void } {
  const store = controlStore(board);
  const config = board.configStore.current();
  const box = SecretBox.forNode(config.dataDir, config.secrets.key);
  const clock = board.system.clock;
  let signer: Promise<Signer> | undefined;
  return {
    board,
    store,
    box,
    clock,
    users: new Users(store),
    apiKeys: new ApiKeys(store),
    roles: new Roles(store),
    rules: new RowRules(store),
    accounts: new ServiceAccounts(store),
    refresh: new RefreshTokens(store),
    policies: new Policies(store),
    settings: new ProjectSettings(store, box),
    owners: new Owners(store),
    signer() {
      signer ??= loadSigner(store, box, clock.now()).catch((err: unknown) => {
        signer = undefined;
        throw err;
      });
      return signer;
    },
    forgetSigner: () => void (signer = undefined),
    announce: (change, project) => announceAuthChange(board, change, project),
    async requireProject(project) {
      if (!(await findOne(store, PROJECTS, { name: project }))) throw new MoboError('DS_PROJECT_NOT_FOUND', `No project "${project}"`, { details: { project } });
    },
  };
}
