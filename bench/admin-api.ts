/**
 * A node's operator API as the benchmarks use it: `adminApi` answers the envelope's data or
 * throws with the error, `realtimeBench` makes project `bench` with Postgres source `pg` on a
 * schema and returns what a pusher-js client needs (its app and an admin API key).
 */
export type AdminApi = <T>(method: string, path: string, body?: unknown) => Promise<T>;

export function adminApi(base: string, token: string): AdminApi {
  return async <T>(method: string, path: string, body?: unknown): Promise<T> => {
    const res = await fetch(`${base}${path}`, { method, headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, ...(body === undefined ? {} : { body: JSON.stringify(body) }) });
    const json = (await res.json()) as { data: T; error?: unknown };
    if (!res.ok) throw new Error(`${path}: ${JSON.stringify(json.error)}`);
    return json.data;
  };
}

export async function realtimeBench(admin: AdminApi, pgUrl: string, schema: string): Promise<{ app: { key: string; authEndpoint: string }; apiKey: string }> {
  await admin('POST', '/v1/admin/projects', { name: 'bench' });
  await admin('POST', '/v1/admin/projects/bench/sources', { name: 'pg', kind: 'postgres', url: pgUrl, namespace: schema });
  const app = await admin<{ key: string; authEndpoint: string }>('GET', '/v1/admin/projects/bench/realtime');
  const apiKey = (await admin<{ key: string }>('POST', '/v1/admin/projects/bench/keys', { role: 'admin' })).key;
  return { app, apiKey };
}
