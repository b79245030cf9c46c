/**
 * The admin API the `mobo` CLI uses (`/v1/admin/*`, Bearer admin token or an owner's session), and MagGate REST
 * for rows (with the project's service key, fetched through the admin API). No other path.
 */
const TOKEN_KEY = 'mobo.admin.token';

export const token = {
  get: (): string | undefined => sessionStorage.getItem(TOKEN_KEY) ?? undefined,
  set: (value: string): void => sessionStorage.setItem(TOKEN_KEY, value),
  clear: (): void => sessionStorage.removeItem(TOKEN_KEY),
};

/** An answer of the API's error envelope: its code and message are what the page shows. */
export class ApiError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly status: number,
    readonly details?: unknown,
  ) {
    super(message);
  }
}

interface Envelope<T> {
  data?: T;
  meta?: Record<string, unknown>;
  error?: { code: string; message: string; details?: unknown };
}

/** `bearer` null: the call needs none (only the owner login); undefined would be a missing login. */
async function request<T>(method: string, path: string, bearer: string | null | undefined, body?: unknown, headers: Record<string, string> = {}): Promise<{ data: T; meta: Record<string, unknown> }> {
  if (bearer === undefined) throw new ApiError('AUTH_REQUIRED', 'Log in first', 401);
  const init: RequestInit = { method, headers: bearer === null ? { ...headers } : { authorization: `Bearer ${bearer}`, ...headers } };
  if (body !== undefined) {
    init.body = JSON.stringify(body);
    (init.headers as Record<string, string>)['content-type'] = 'application/json';
  }
  let res: Response;
  try {
    res = await fetch(path, init);
  } catch {
    throw new ApiError('NODE_UNREACHABLE', 'The node does not answer', 0);
  }
  const parsed = (await res.json().catch(() => ({}))) as Envelope<T>;
  if (parsed.error) throw new ApiError(parsed.error.code, parsed.error.message, res.status, parsed.error.details);
  if (!res.ok) throw new ApiError('INTERNAL', `The node answered HTTP ${res.status}`, res.status);
  return { data: parsed.data as T, meta: parsed.meta ?? {} };
}

const enc = encodeURIComponent;

/** `/v1/admin/…` with the admin token of this tab's session. */
export const admin = {
  get: async <T>(path: string): Promise<T> => (await request<T>('GET', `/v1/admin${path}`, token.get())).data,
  post: async <T>(path: string, body: unknown = {}): Promise<T> => (await request<T>('POST', `/v1/admin${path}`, token.get(), body)).data,
  patch: async <T>(path: string, body: unknown): Promise<T> => (await request<T>('PATCH', `/v1/admin${path}`, token.get(), body)).data,
  del: async <T>(path: string): Promise<T> => (await request<T>('DELETE', `/v1/admin${path}`, token.get())).data,
};

/** Checks a token against the node before it is kept (a wrong one shows the API's refusal). */
export async function login(candidate: string): Promise<void> {
  await request('GET', '/v1/admin/status', candidate.trim());
  token.set(candidate.trim());
}

/** Signs in with an owner account: the session token the node answers stands in for the admin token. */
export async function loginOwner(email: string, password: string): Promise<void> {
  const { data } = await request<{ token: string }>('POST', '/v1/admin/login', null, { email, password });
  token.set(data.token);
}

/** Ends the tab's session: an owner session is ended on the node too (the admin token has nothing to end). */
export async function logout(): Promise<void> {
  const current = token.get();
  token.clear();
  if (current?.startsWith('mobo_session_')) await request('POST', '/v1/admin/logout', current).catch(() => undefined);
}

export const paths = {
  project: (p: string) => `/projects/${enc(p)}`,
  source: (p: string, s: string) => `/projects/${enc(p)}/sources/${enc(s)}`,
  table: (p: string, s: string, t: string) => `/projects/${enc(p)}/sources/${enc(s)}/tables/${enc(t)}`,
};

export type Row = Record<string, unknown>;

const serviceKeys = new Map<string, Promise<string>>();

/** The project's service key (role admin), as `mobo keys:show` shows it: what REST takes for an operator's row edits. */
function serviceKey(project: string): Promise<string> {
  let key = serviceKeys.get(project);
  if (!key) {
    key = admin.get<{ serviceKey: string }>(`${paths.project(project)}/client-keys`).then((k) => k.serviceKey);
    key.catch(() => serviceKeys.delete(project));
    serviceKeys.set(project, key);
  }
  return key;
}

export interface RowQuery {
  limit: number;
  offset: number;
  order?: { column: string; desc: boolean };
  filter?: { column: string; op: string; value: string };
}

/** MagGate REST on one table (`/v1/<project>/<source>/<table>`), MagFlock envelopes. */
export function rows(project: string, source: string, table: string) {
  const base = `/v1/${enc(project)}/${enc(source)}/${enc(table)}`;
  const call = async <T>(method: string, path: string, body?: unknown, headers?: Record<string, string>) => request<T>(method, path, await serviceKey(project), body, headers);
  return {
    async list(q: RowQuery): Promise<{ rows: Row[]; count: number | undefined }> {
      const params = new URLSearchParams({ limit: String(q.limit), offset: String(q.offset) });
      if (q.order) params.set('order', `${q.order.column}.${q.order.desc ? 'desc' : 'asc'}`);
      if (q.filter && q.filter.column) params.append(q.filter.column, `${q.filter.op}.${q.filter.value}`);
      const { data, meta } = await call<Row[]>('GET', `${base}?${params}`, undefined, { prefer: 'count=exact' });
      return { rows: data, count: typeof meta.count === 'number' ? meta.count : undefined };
    },
    insert: async (row: Row) => (await call<Row>('POST', base, row)).data,
    update: async (id: string, patch: Row) => (await call<Row>('PATCH', `${base}/${enc(id)}`, patch)).data,
    remove: async (id: string) => (await call<unknown>('DELETE', `${base}/${enc(id)}`)).data,
  };
}

export { enc };
