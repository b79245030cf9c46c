import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { applyReloadable, diffConfig } from '../../config/diff.js';
import { loadConfig } from '../../config/load.js';

function dir(): string {
  return mkdtempSync(join(tmpdir(), 'mobo-config-'));
}

describe('config', () => {
  it('gives a complete embedded config with no file and no env', () => {
    const cwd = dir();
    const { config, file } = loadConfig({ cwd, env: {} });
    expect(file).toBeUndefined();
    expect(config).toMatchObject({
      node: { id: 'node1' },
      dataDir: join(cwd, '.mobo'),
      transport: { kind: 'local' },
      http: { host: '127.0.0.1', port: 8000 },
      log: { level: 'info' },
    });
  });

  it('layers env over the file: fixed aliases and MOBO_A__B_C paths, values parsed as JSON where they can be', () => {
    const cwd = dir();
    writeFileSync(join(cwd, 'mobo.config.json'), JSON.stringify({ http: { port: 9000 }, log: { level: 'warn' } }));
    const { config, sources } = loadConfig({
      cwd,
      env: { MOBO_HTTP_PORT: '9100', MOBO_DATA_DIR: '/tmp/x', MOBO_HEALTH__INTERVAL_MS: '250', MOBO_NODE_ID: 'edge-7', PATH: '/bin' },
    });
    expect(config.http.port).toBe(9100);
    expect(config.dataDir).toBe('/tmp/x');
    expect(config.health.intervalMs).toBe(250);
    expect(config.log.level).toBe('warn');
    expect(config.node.id).toBe('edge-7');
    expect(sources['http.port']).toBe('MOBO_HTTP_PORT');
    expect(sources['log.level']).toBe(join(cwd, 'mobo.config.json'));
  });

  it('turns on cluster mode when MOBO_NATS_URL is set', () => {
    const { config } = loadConfig({ cwd: dir(), env: { MOBO_NATS_URL: 'nats://10.1.1.1:4222' } });
    expect(config.transport).toEqual({ kind: 'nats', natsUrl: 'nats://10.1.1.1:4222', cluster: 'default', replicas: 1 });
  });

  it('names the bad key, its value and where it came from', () => {
    expect(() => loadConfig({ cwd: dir(), env: { MOBO_HTTP_PORT: 'eighty' } })).toThrow(
      expect.objectContaining({
        code: 'CONFIG_INVALID',
        message: expect.stringMatching(/http\.port = "eighty" \(from MOBO_HTTP_PORT\)/),
        details: expect.objectContaining({ key: 'http.port', value: 'eighty', source: 'MOBO_HTTP_PORT' }),
      }),
    );
    expect(() => loadConfig({ cwd: dir(), env: { MOBO_LOG__LEVEL: '"loud"' } })).toThrow(expect.objectContaining({ details: expect.objectContaining({ key: 'log.level', value: 'loud' }) }));
  });

  it('refuses unknown keys, so a typo is not silently ignored', () => {
    const cwd = dir();
    writeFileSync(join(cwd, 'mobo.config.json'), JSON.stringify({ htpp: { port: 1 } }));
    expect(() => loadConfig({ cwd, env: {} })).toThrow(expect.objectContaining({ code: 'CONFIG_INVALID', message: expect.stringContaining('htpp') }));
  });

  it('refuses a file that is not a JSON object, and a named file that is missing', () => {
    const cwd = dir();
    writeFileSync(join(cwd, 'bad.json'), '{ nope');
    expect(() => loadConfig({ cwd, file: 'bad.json', env: {} })).toThrow(expect.objectContaining({ code: 'CONFIG_INVALID' }));
    expect(() => loadConfig({ cwd, file: 'missing.json', env: {} })).toThrow(expect.objectContaining({ code: 'CONFIG_INVALID' }));
  });

  it('is frozen once loaded', () => {
    const { config } = loadConfig({ cwd: dir(), env: {} });
    expect(Object.isFrozen(config.http)).toBe(true);
    expect(() => {
      (config.http as { port: number }).port = 1;
    }).toThrow();
  });

  it('applies only reloadable keys and reports the rest as needing a restart', () => {
    const before = loadConfig({ cwd: dir(), env: {} }).config;
    const after = loadConfig({ cwd: dir(), env: { MOBO_LOG_LEVEL: 'debug', MOBO_HEALTH__INTERVAL_MS: '100', MOBO_HTTP_PORT: '9999' } }).config;
    const diff = diffConfig(before, after);
    expect(diff.applied.sort()).toEqual(['health.intervalMs', 'log.level']);
    expect(diff.needsRestart).toEqual(expect.arrayContaining(['http.port', 'dataDir']));
    const next = applyReloadable(before, after);
    expect(next.log.level).toBe('debug');
    expect(next.http.port).toBe(8000);
  });
});
