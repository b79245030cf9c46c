/**
 * The one error catalogue. Every failure that crosses a component boundary is a
 * MoboError with a stable code; edges (HTTP, CLI, Pusher, MQTT) map the code, never the
 * message. The runtime, supervision and kernel codes (and, for now, those of the
 * components that predate the plug-in contract) live here; a component brings its own
 * with `defineErrors` in its folder, and the motherboard merges them in at boot
 * (`registerErrors`), refusing a code two owners declare. A code's Pusher error code and
 * MQTT reason code default from its HTTP status (`pusherCodeOf`, `mqttReasonOf`).
 */
export interface ErrorDef {
  /** HTTP status. */
  status: number;
  message: string;
  /** `pusher:error` code: 4000–4099 refuse, 4100–4199 back off, 4200–4299 reconnect, 4300+ carry on. */
  pusher?: number;
  /** MQTT v5 reason code (0x80 and up). */
  mqtt?: number;
}

export const ERROR_CATALOGUE = {
  // runtime
  ACTOR_ASK_TIMEOUT: { status: 504, message: 'The actor did not answer in time' },
  ACTOR_NOT_FOUND: { status: 404, message: 'No actor at that address' },
  ACTOR_STOPPED: { status: 503, message: 'The actor stopped before it answered' },
  ACTOR_MOVING: { status: 503, message: 'The actor is moving to another node of the cluster; retry shortly' },
  ACTOR_CRASHED: { status: 500, message: 'The actor crashed while handling the message' },
  ACTOR_NAME_TAKEN: { status: 409, message: 'An actor with that name is already running' },
  ACTOR_BAD_NAME: { status: 400, message: 'Actor names are dot-separated tokens of letters, digits, _ and -' },
  MAILBOX_FULL: { status: 503, message: 'The actor mailbox is full' },
  MESSAGE_INVALID: { status: 400, message: 'The message does not match its schema' },
  MESSAGE_UNKNOWN: { status: 400, message: 'The actor does not handle that message type' },
  TRANSPORT_CLOSED: { status: 503, message: 'The transport is closed' },
  TRANSPORT_UNAVAILABLE: { status: 503, message: 'The message transport is unavailable' },
  // supervision
  SUP_MAX_RESTARTS: { status: 500, message: 'Restart intensity exceeded; escalating' },
  SUP_BOOT_CYCLE: { status: 500, message: 'Child dependencies form a cycle' },
  SUP_MISSING_DEPENDENCY: { status: 500, message: 'A child depends on a child that does not exist' },
  SUP_POST_FAILED: { status: 500, message: 'A child failed its power-on self test' },
  SUP_CHILD_NOT_FOUND: { status: 404, message: 'No child with that name' },
  SUP_SHUTDOWN_TIMEOUT: { status: 500, message: 'A child did not stop in time and was killed' },
  SUP_BAD_SPEC: { status: 400, message: 'The child spec is invalid' },
  SUP_NOT_PERMITTED: { status: 403, message: 'A component may only manage the children it added; operator commands go through the control actor' },
  // kernel services
  CONFIG_INVALID: { status: 400, message: 'The configuration is invalid' },
  CONFIG_NOT_RELOADABLE: { status: 409, message: 'That setting needs a restart to change' },
  STATE_CORRUPT: { status: 500, message: 'The state file was corrupt and was set aside' },
  STATE_WRITE_FAILED: { status: 500, message: 'The state could not be written' },
  JOB_NOT_FOUND: { status: 404, message: 'No such job' },
  CONTROL_STORE_MISSING: {
    status: 503,
    message: 'The control store is missing or empty but the data directory holds state; recover with mobo init --force, then mobo backup:restore <id> --force',
  },
  CONTROL_STORE_CORRUPT: {
    status: 503,
    message: 'The control store failed its integrity check; recover with mobo init --force, then mobo backup:restore <id> --force',
  },
  DATA_DIR_IN_USE: { status: 503, message: 'The data directory is in use by another running node' },
  // data (MagDS, MagBridge)
  DS_UNAVAILABLE: { status: 503, message: 'The data source is unavailable; retry shortly' },
  DS_BUSY: { status: 503, message: 'Every connection to the database server is in use; retry after the Retry-After seconds' },
  DS_OUTCOME_UNKNOWN: {
    status: 503,
    message: 'The write may or may not have been applied: its connection was lost before the answer came; retry with the same Idempotency-Key, or read before writing again',
  },
  DS_PROJECT_NOT_FOUND: { status: 404, message: 'No such project' },
  DS_SOURCE_NOT_FOUND: { status: 404, message: 'No such data source' },
  DS_TABLE_NOT_FOUND: { status: 404, message: 'No such table or collection' },
  DS_COLUMN_NOT_FOUND: { status: 400, message: 'No such column' },
  DS_ROW_NOT_FOUND: { status: 404, message: 'No such row' },
  DS_QUERY_INVALID: { status: 400, message: 'The query is invalid' },
  DS_VALUE_INVALID: { status: 422, message: 'A value does not fit its column' },
  DS_CONFLICT: { status: 409, message: 'The write conflicts with existing data' },
  DS_CONSTRAINT: { status: 422, message: 'The write violates a constraint' },
  DS_UNSUPPORTED: { status: 400, message: 'The data source does not support that operation' },
  DS_SOURCE_EXISTS: { status: 409, message: 'A data source with that name already exists' },
  DS_PROJECT_NAME_RESERVED: { status: 400, message: 'That project name is reserved for the node\'s own routes' },
  DS_PROJECT_EXISTS: { status: 409, message: 'A project with that name already exists' },
  // backup (MagBackup)
  BACKUP_NOT_FOUND: { status: 404, message: 'No such backup' },
  BACKUP_JOB_NOT_FOUND: { status: 404, message: 'No such backup job' },
  BACKUP_CORRUPT: { status: 422, message: 'The backup archive is corrupt or truncated' },
  BACKUP_KEY_REQUIRED: { status: 400, message: 'The backup is encrypted and no backup key is configured' },
  BACKUP_KEY_INVALID: { status: 400, message: 'The backup key does not match this archive' },
  BACKUP_BUSY: { status: 409, message: 'Another backup or restore is running' },
  BACKUP_TARGET_NOT_EMPTY: { status: 409, message: 'The restore target already holds data; use --force to replace it' },
  BACKUP_RESTORE_FAILED: { status: 500, message: 'The restore failed' },
  BACKUP_SCHEDULE_INVALID: { status: 400, message: 'The schedule is invalid' },
  // edges
  HTTP_NOT_FOUND: { status: 404, message: 'No such route' },
  HTTP_METHOD_NOT_ALLOWED: { status: 405, message: 'Method not allowed on this route' },
  HTTP_BODY_TOO_LARGE: { status: 413, message: 'The request body is too large' },
  HTTP_BAD_JSON: { status: 400, message: 'The request body is not valid JSON' },
  HTTP_PORT_IN_USE: { status: 503, message: 'The HTTP port is already in use' },
  HTTP_LISTEN_FAILED: { status: 503, message: 'The HTTP listener could not bind its address' },
  AUTH_REQUIRED: { status: 401, message: 'Credentials are required' },
  AUTH_INVALID: { status: 401, message: 'The credentials are invalid' },
  AUTH_TOKEN_EXPIRED: { status: 401, message: 'The token has expired' },
  AUTH_BAD_PASSWORD: { status: 401, message: 'Wrong email or password' },
  AUTH_USER_DISABLED: { status: 403, message: 'The user is disabled' },
  AUTH_USER_EXISTS: { status: 409, message: 'A user with that email already exists' },
  AUTH_WEAK_PASSWORD: { status: 422, message: 'The password is too weak' },
  AUTH_FORBIDDEN: { status: 403, message: 'The credentials do not allow this' },
  AUTH_KEY_NOT_FOUND: { status: 404, message: 'No such API key' },
  AUTH_ROLE_NOT_FOUND: { status: 404, message: 'No such role' },
  AUTH_ROLE_EXISTS: { status: 409, message: 'A role with that name already exists' },
  AUTH_USER_NOT_FOUND: { status: 404, message: 'No such user' },
  AUTH_SERVICE_ACCOUNT_NOT_FOUND: { status: 404, message: 'No such service account' },
  AUTH_SERVICE_ACCOUNT_EXISTS: { status: 409, message: 'A service account with that name already exists' },
  AUTH_RULE_NOT_FOUND: { status: 404, message: 'No row rule on that table' },
  AUTH_POLICY_NOT_FOUND: { status: 404, message: 'No policy for that role and table' },
  AUTH_SIGNUP_CLOSED: { status: 403, message: 'Signup is closed on this project' },
  RATE_LIMITED: { status: 429, message: 'Too many requests; retry later', pusher: 4301 },
  NODE_UNREACHABLE: { status: 503, message: 'The node could not be reached' },
  NODE_RUNNING: { status: 409, message: 'A node is running on this data directory; stop it first (mobo shutdown)' },
  // realtime (MagWS)
  WS_APP_NOT_FOUND: { status: 404, message: 'No realtime app with that key or id', pusher: 4001 },
  WS_OVER_CAPACITY: { status: 503, message: 'This node holds as many realtime connections as it may', pusher: 4100 },
  WS_UNAUTHORIZED: { status: 401, message: 'The channel subscription is not authorized' },
  WS_RATE_LIMITED: { status: 429, message: 'Too many messages on this connection; slow down', pusher: 4301 },
  WS_PROTOCOL_UNSUPPORTED: { status: 400, message: 'Unsupported Pusher protocol version', pusher: 4007 },
  WS_BAD_MESSAGE: { status: 400, message: 'The realtime message is malformed' },
  WS_CHANNEL_INVALID: { status: 400, message: 'The channel name is invalid' },
  WS_CLIENT_EVENTS_DISABLED: { status: 403, message: 'Client events are not enabled, or not allowed on this channel' },
  WS_PAYLOAD_TOO_LARGE: { status: 413, message: 'The event data is too large' },
  WS_SIGNATURE_INVALID: { status: 401, message: 'The request signature is invalid' },
  WS_TIMESTAMP_EXPIRED: { status: 401, message: 'The request timestamp is too far from the server clock' },
  WS_CONNECTOR_UNAVAILABLE: { status: 503, message: 'The external realtime server is unreachable' },
  WS_NOT_SERVED: { status: 404, message: 'This node publishes to an external realtime server and does not serve that' },
  // the plug-in contract and the edge
  COMPONENT_RESTARTING: { status: 503, message: 'The component serving this route is restarting; retry shortly' },
  COMPONENT_STOPPED: { status: 503, message: 'The component serving this route is stopped' },
  NODE_DRAINING: { status: 503, message: 'This node is draining and takes no new requests; retry (another node serves it)' },
  COMPONENT_NOT_STOPPABLE: { status: 409, message: 'That component cannot be stopped: the operator channel needs it' },
  COMPONENT_INVALID: { status: 500, message: 'A component declaration is invalid' },
  HTTP_ROUTE_CONFLICT: { status: 500, message: 'Two routes claim the same requests' },
  INTERNAL: { status: 500, message: 'Internal error' },
} as const satisfies Record<string, ErrorDef>;

/**
 * Codes that components declare in their own folders. A component makes its codes
 * first-class for the type checker by augmenting this interface next to its
 * `defineErrors` call:
 *
 *   declare module '../../runtime/errors.js' { interface ComponentErrorCodes extends CodesOf<typeof mqttErrors> {} }
 */
// eslint-disable-next-line @typescript-eslint/no-empty-interface
export interface ComponentErrorCodes {}

export type ErrorCode = keyof typeof ERROR_CATALOGUE | keyof ComponentErrorCodes;

interface Entry extends ErrorDef {
  owner: string;
}

/** The merged catalogue: the runtime's codes, then each registered component's. */
const entries = new Map<string, Entry>(Object.entries(ERROR_CATALOGUE).map(([code, def]) => [code, { ...(def as ErrorDef), owner: 'runtime' }]));

/**
 * Merges a component's codes into the catalogue. Idempotent for the same owner and
 * definition (several nodes in one process register the same board); a code another
 * owner declared, or the same owner redefined differently, is refused naming both.
 */
export function registerErrors(owner: string, defs: Readonly<Record<string, ErrorDef>>): void {
  for (const [code, def] of Object.entries(defs)) {
    if (!/^[A-Z][A-Z0-9_]*$/.test(code)) {
      throw new MoboError('COMPONENT_INVALID', `${owner} declares error code "${code}": codes are UPPER_SNAKE_CASE`, { details: { owner, code } });
    }
    const existing = entries.get(code);
    if (existing && (existing.owner !== owner || !sameDef(existing, def))) {
      throw new MoboError('COMPONENT_INVALID', `Error code ${code} is declared by both ${existing.owner} and ${owner}`, {
        details: { code, owners: [existing.owner, owner] },
      });
    }
  }
  for (const [code, def] of Object.entries(defs)) entries.set(code, { ...def, owner });
}

function sameDef(a: ErrorDef, b: ErrorDef): boolean {
  return a.status === b.status && a.message === b.message && a.pusher === b.pusher && a.mqtt === b.mqtt;
}

/** Every code of the merged catalogue, with its owner. */
export function errorCatalogue(): ReadonlyMap<string, Readonly<Entry>> {
  return entries;
}

function entryOf(code: string): Entry {
  return entries.get(code) ?? entries.get('INTERNAL')!;
}

/** A component's codes, and a typed constructor per code: `errors.make.MQTT_TOPIC_INVALID('…')`. */
export interface ErrorSet<T extends Record<string, ErrorDef>> {
  readonly defs: T;
  readonly make: { readonly [K in keyof T]: (message?: string, options?: ErrorOptions) => MoboError };
}

export interface ErrorOptions {
  details?: Record<string, unknown>;
  cause?: unknown;
}

/** The codes of an ErrorSet, as `ComponentErrorCodes` entries. */
export type CodesOf<S extends { defs: Record<string, ErrorDef> }> = { [K in keyof S['defs']]: true };

/** Declares a component's error codes (registered with the component at boot). */
export function defineErrors<const T extends Record<string, ErrorDef>>(defs: T): ErrorSet<T> {
  const make = Object.fromEntries(Object.keys(defs).map((code) => [code, (message?: string, options?: ErrorOptions) => new MoboError(code as ErrorCode, message, options)]));
  return { defs, make: make as ErrorSet<T>['make'] };
}

/** The `pusher:error` code of a failure; null means "carry on" (the connection stays as it is). */
export function pusherCodeOf(code: ErrorCode): number | null {
  const entry = entryOf(code);
  if (entry.pusher !== undefined) return entry.pusher;
  return entry.status === 401 || entry.status === 403 ? 4009 : null;
}

const MQTT_BY_STATUS: Record<number, number> = {
  400: 0x80, 401: 0x87, 403: 0x87, 404: 0x80, 409: 0x80, 413: 0x95, 422: 0x99, 429: 0x97, 503: 0x88, 504: 0x88,
};

/** The MQTT v5 reason code of a failure (0x80 "unspecified error" when nothing closer fits). */
export function mqttReasonOf(code: ErrorCode): number {
  const entry = entryOf(code);
  return entry.mqtt ?? MQTT_BY_STATUS[entry.status] ?? 0x80;
}

export interface ErrorBody {
  code: ErrorCode;
  message: string;
  details?: Record<string, unknown>;
}

export class MoboError extends Error {
  readonly code: ErrorCode;
  readonly details: Record<string, unknown> | undefined;

  constructor(code: ErrorCode, message?: string, options?: ErrorOptions) {
    super(message ?? entryOf(code).message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'MoboError';
    this.code = code;
    this.details = options?.details;
  }

  get status(): number {
    return entryOf(this.code).status;
  }

  /** The wire form: code, message, details. Never a stack, never a cause. */
  toBody(): ErrorBody {
    return this.details === undefined
      ? { code: this.code, message: this.message }
      : { code: this.code, message: this.message, details: this.details };
  }

  static fromBody(body: ErrorBody): MoboError {
    const code = isErrorCode(body.code) ? body.code : 'INTERNAL';
    return new MoboError(code, body.message, body.details === undefined ? undefined : { details: body.details });
  }
}

export function isErrorCode(code: unknown): code is ErrorCode {
  return typeof code === 'string' && entries.has(code);
}

export function isMoboError(err: unknown, code?: ErrorCode): err is MoboError {
  return err instanceof MoboError && (code === undefined || err.code === code);
}

/** Anything thrown, as a MoboError safe to show: unknown errors become INTERNAL with no detail leaked. */
export function toMoboError(err: unknown): MoboError {
  if (err instanceof MoboError) return err;
  return new MoboError('INTERNAL', undefined, { cause: err });
}

/** A short human description of any thrown value, for logs (never sent to clients). */
export function describeError(err: unknown): string {
  if (err instanceof MoboError) return `${err.code}: ${err.message}`;
  if (err instanceof Error) return `${err.name}: ${err.message}`;
  return String(err);
}
