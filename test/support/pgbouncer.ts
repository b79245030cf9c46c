import { spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import { tempDir } from './cli.js';
import { freePort } from './ports.js';
import { waitFor } from './wait.js';

export interface PgBouncer {
  port: number;
  /** A URL of the local Postgres through this pooler. */
  url(database: string, query?: string): string;
  stop(): Promise<void>;
}

/**
 * A PgBouncer of its own (Debian `pgbouncer`, installed by .ci/run) on a free port, in
 * transaction mode in front of the local Postgres (trust, as the server itself).
 */
export async function startPgBouncer(): Promise<PgBouncer> {
  const dir = tempDir('mobo-pgbouncer-');
  chmodSync(dir, 0o777);
  const port = await freePort();
  const ini = join(dir, 'pgbouncer.ini');
  // trust still needs the user listed.
  writeFileSync(join(dir, 'users.txt'), '"postgres" ""\n');
  writeFileSync(
    ini,
    [
      '[databases]',
      '* = host=127.0.0.1 port=5432',
      '[pgbouncer]',
      'listen_addr = 127.0.0.1',
      `listen_port = ${port}`,
      "unix_socket_dir = ''",
      'auth_type = trust',
      `auth_file = ${join(dir, 'users.txt')}`,
      'pool_mode = transaction',
      'max_client_conn = 500',
      'default_pool_size = 10',
      'ignore_startup_parameters = extra_float_digits',
      `logfile = ${join(dir, 'pgbouncer.log')}`,
      `pidfile = ${join(dir, 'pgbouncer.pid')}`,
    ].join('\n'),
  );
  // PgBouncer refuses to run as root: -u drops to the postgres user.
  const asRoot = process.getuid?.() === 0;
  const child: ChildProcess = spawn('/usr/sbin/pgbouncer', [...(asRoot ? ['-u', 'postgres'] : []), ini], { stdio: 'ignore' });
  let exited = false;
  child.once('exit', () => void (exited = true));
  await waitFor(
    () =>
      exited
        ? Promise.reject(new Error('pgbouncer exited at start'))
        : new Promise<boolean>((resolve) => {
            const socket = connect(port, '127.0.0.1', () => {
              socket.destroy();
              resolve(true);
            });
            socket.once('error', () => resolve(false));
          }),
    'pgbouncer listening',
  );
  return {
    port,
    url: (database, query = '') => `postgres://postgres@127.0.0.1:${port}/${database}${query}`,
    stop: async () => {
      if (exited) return;
      const gone = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      await gone;
    },
  };
}
