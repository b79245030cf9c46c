import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Manifest } from '../../actors/backup/index.js';
import { ArchiveReader } from '../../actors/backup/archive-reader.js';
import { archivedConfig } from '../../actors/backup/settings.js';
import { defaultSlots } from '../../actors/components.js';
import { configSections } from '../../actors/motherboard.js';
import { MoboNode } from '../../actors/node.js';
import { loadConfig, schemaWith } from '../../config/load.js';
import { secretPaths, withoutCredentials } from '../../config/secrets.js';
import { Logger } from '../../runtime/logger.js';
import { tempDir } from '../support/cli.js';
import { BackupJobs, pgAdmin } from './support.js';

const tag = Math.random().toString(36).slice(2, 8);
const unique = (name: string) => `${name}-${tag}-${randomBytes(6).toString('hex')}`;
const sections = configSections(defaultSlots());

/** One value for every secret setting, and where it is set: every path secretPaths lists must be here. */
const database = `mobo_secrets_${tag}`;
const schemaName = `mobo_secrets_src_${tag}`;
const values = {
  secretsKey: randomBytes(32).toString('base64'),
  backupKey: randomBytes(32).toString('base64'),
  appSecret: unique('app-secret'),
  connectorPassword: unique('connector-pass'),
  natsPassword: unique('nats-pass'),
  controlPassword: unique('control-pass'),
  mqttPassword: unique('mqtt-pass'),
  sourcePassword: unique('source-pass'),
  provisionPassword: unique('provision-pass'),
  provisionMysqlPassword: unique('provision-mysql-pass'),
};
const settings: Record<string, string> = {
  'secrets.key': values.secretsKey,
  'backup.key': values.backupKey,
  'realtime.apps[].secret': values.appSecret,
  'realtime.connector.url': `http://hook-user:${values.connectorPassword}@127.0.0.1:6001`,
  'transport.natsUrl': `nats://nats-user:${values.natsPassword}@127.0.0.1:4222`,
  'control.url': `postgres://postgres:${values.controlPassword}@127.0.0.1:5432/${database}?application_name=mobo&password=${values.controlPassword}`,
  'mqtt.persistence.url': `redis://:${values.mqttPassword}@127.0.0.1:6379`,
  'ds.provision.postgres.url': `postgres://postgres:${values.provisionPassword}@127.0.0.1:5432/postgres`,
  'ds.provision.mysql.url': `mysql://root:${values.provisionMysqlPassword}@127.0.0.1:3306/mysql`,
};

/** The node's config file: every secret setting set (Postgres trusts 127.0.0.1, so the passwords are never checked). */
function configFile(withBackupKey: boolean): Record<string, unknown> {
  return {
    secrets: { key: settings['secrets.key'] },
    ...(withBackupKey ? { backup: { key: settings['backup.key'] } } : {}),
    realtime: { apps: [{ id: 'app-1', key: 'public-app-key', secret: settings['realtime.apps[].secret'], project: 'shop' }], connector: { url: settings['realtime.connector.url'] } },
    transport: { kind: 'local', natsUrl: settings['transport.natsUrl'] },
    control: { kind: 'postgres', url: settings['control.url'] },
    mqtt: { persistence: { url: settings['mqtt.persistence.url'] } },
    ds: { provision: { postgres: { url: settings['ds.provision.postgres.url'] }, mysql: { url: settings['ds.provision.mysql.url'] } } },
  };
}

describe('secrets never sit in a plain archive', () => {
  const dir = tempDir('mobo-secrets-');
  let node: MoboNode;
  let jobs: BackupJobs;

  beforeAll(async () => {
    await pgAdmin(`CREATE DATABASE "${database}"`);
    await pgAdmin(`CREATE SCHEMA "${schemaName}"`);
    const file = join(dir, 'mobo.config.json');
    const { writeFileSync } = await import('node:fs');
    writeFileSync(file, JSON.stringify(configFile(false)));
    const loaded = loadConfig({ file, cwd: dir, env: { MOBO_HTTP_PORT: '0', MOBO_DATA_DIR: dir, MOBO_HEALTH__INTERVAL_MS: '0' }, sections });
    node = await MoboNode.create({ loaded, log: Logger.silent() });
    await node.boot();
    jobs = new BackupJobs(node);
    const catalog = node.system.ref(node.address('catalog'));
    await catalog.ask('project.create', { project: 'shop' });
    await catalog.ask(
      'source.add',
      { project: 'shop', name: 'main', kind: 'postgres', url: `postgres://postgres:${values.sourcePassword}@127.0.0.1:5432/test`, namespace: schemaName },
      { timeoutMs: 15_000 },
    );
  }, 60_000);

  afterAll(async () => {
    jobs?.close();
    await node?.stop();
    await pgAdmin(`DROP SCHEMA IF EXISTS "${schemaName}" CASCADE`).catch(() => undefined);
    await pgAdmin(`DROP DATABASE IF EXISTS "${database}" WITH (FORCE)`).catch(() => undefined);
  });

  it('the schema marks exactly the settings this test configures (a new secret setting must be added here)', () => {
    expect(secretPaths(schemaWith(sections)).map((p) => p.path).sort()).toEqual(Object.keys(settings).sort());
  });

  it('a fresh unencrypted archive holds none of the configured secret values, in its bytes or decoded', async () => {
    const manifest = await jobs.result<Manifest>('backup.create', { reason: 'secrets test' });
    expect(manifest.encrypted).toBe(false);
    const path = join(dir, 'backups', `${manifest.id}.mobo`);
    const reader = await ArchiveReader.open(path, undefined);
    const decoded: string[] = [JSON.stringify(reader.manifest)];
    try {
      for (const part of reader.manifest.parts) for await (const record of reader.records(part.name)) decoded.push(JSON.stringify(record));
    } finally {
      await reader.close();
    }
    const everything = Buffer.concat([readFileSync(path), Buffer.from(decoded.join('\n'))]);
    // The archive did carry the config: settings that are not secret are there.
    expect(decoded.join('\n')).toContain('public-app-key');
    expect(decoded.join('\n')).toContain(`127.0.0.1:5432/${database}`);
    for (const [name, value] of Object.entries(values)) {
      if (name === 'backupKey') continue; // not configured on this node: its archive would be encrypted
      expect(everything.includes(value), `${name} found in the archive`).toBe(false);
    }
  });

  it('the archived config drops backup.key and every other secret, keeps what is not secret', () => {
    const file = join(dir, 'with-key.json');
    return import('node:fs').then(({ writeFileSync }) => {
      writeFileSync(file, JSON.stringify(configFile(true)));
      const { config } = loadConfig({ file, cwd: dir, env: {}, sections });
      const text = JSON.stringify(archivedConfig(config, sections));
      for (const [name, value] of Object.entries(values)) expect(text.includes(value), name).toBe(false);
      expect(JSON.parse(text)).toMatchObject({
        realtime: { apps: [{ id: 'app-1', key: 'public-app-key', project: 'shop' }], connector: { url: 'http://127.0.0.1:6001/' } },
        transport: { natsUrl: 'nats://127.0.0.1:4222' },
        control: { kind: 'postgres', url: `postgres://127.0.0.1:5432/${database}?application_name=mobo` },
        mqtt: { persistence: { url: 'redis://127.0.0.1:6379' } },
      });
    });
  });

  it('credentials leave URLs of every shape', () => {
    expect(withoutCredentials('nats://a:b@h1:4222,c:d@h2:4222')).toBe('nats://h1:4222,h2:4222');
    expect(withoutCredentials('tok3n@127.0.0.1:4222')).toBe('127.0.0.1:4222');
    expect(withoutCredentials('postgres://u:p%40ss@db/x?sslkey=/k&sslmode=require')).toBe('postgres://db/x?sslmode=require');
    expect(withoutCredentials('/var/lib/mobo/control.db')).toBe('/var/lib/mobo/control.db');
  });

  it('a bad value of a secret setting is never echoed in the config error', () => {
    const bad = unique('too-long').repeat(20);
    const err = (() => {
      try {
        loadConfig({ cwd: dir, env: { MOBO_REALTIME__APPS: JSON.stringify([{ id: 'a', key: 'k', secret: bad, project: 'p' }]) } });
      } catch (e) {
        return e as Error;
      }
      return undefined;
    })();
    expect(err?.message).toContain('realtime.apps.0.secret');
    expect(err?.message).toContain('[redacted]');
    expect(err?.message).not.toContain(bad);
  });
});
