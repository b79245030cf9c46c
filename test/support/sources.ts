import type { SourceConfig } from '../../adapters/types.js';

/** The real servers of this machine (CI starts them), one entry per backend MagDS can reach here. */
export function availableSources(dir: string): Record<string, Omit<SourceConfig, 'namespace'> & { namespace?: string }> {
  const suffix = Math.random().toString(36).slice(2, 8);
  const sources: Record<string, SourceConfig> = {
    sqlite: { kind: 'sqlite', url: `${dir}/project.db` },
    // application_name lets a test terminate exactly this source's connections.
    postgres: { kind: 'postgres', url: `${process.env.PG_URL ?? 'postgres://postgres@127.0.0.1:5432/test'}?application_name=mobotest_${suffix}` },
    mysql: { kind: 'mysql', url: process.env.MYSQL_URL ?? 'mysql://root@127.0.0.1:3306/test' },
    redis: { kind: 'redis', url: process.env.REDIS_URL ?? 'redis://127.0.0.1:6379', namespace: `mobotest_${suffix}` },
  };
  if (process.env.MONGODB_URL) sources.mongodb = { kind: 'mongodb', url: process.env.MONGODB_URL, namespace: `mobotest_${suffix}` };
  return sources;
}
