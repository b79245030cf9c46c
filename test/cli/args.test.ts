import { describe, expect, it } from 'vitest';
import { parseArgs } from '../../cli/args.js';
import { COMMANDS } from '../../cli/commands/index.js';
import { mobo, tempDir } from '../support/cli.js';

const KEY_CREATE = COMMANDS.find((c) => c.name === 'key:create')!.flags;

describe('mobo argument parsing (util.parseArgs, strict)', () => {
  it('reads value flags both ways, switches, -h, and positionals after --', () => {
    expect(parseArgs(['key:create', 'shop', '--role', 'developer', '--name=a b', '--json'], KEY_CREATE)).toEqual({
      command: 'key:create',
      positional: ['shop'],
      flags: { role: 'developer', name: 'a b', json: true },
    });
    expect(parseArgs(['--config', 'my file.json', 'status', '-h'])).toMatchObject({ command: 'status', flags: { config: 'my file.json', help: true } });
    expect(parseArgs(['user:create', 'shop', '--', '--weird-email@x'], {})).toMatchObject({ positional: ['shop', '--weird-email@x'] });
    expect(parseArgs(['key:create', 'shop', '--name=--dash', '--role=ünïcødé'], KEY_CREATE).flags).toEqual({ name: '--dash', role: 'ünïcødé' });
  });

  it.each([
    [['key:create', 'shop', '--rol', 'developer'], /Unknown flag --rol for key:create \(it takes .*--role VALUE/, '--rol'],
    [['key:create', 'shop', '--role'], /--role needs a value for key:create/, '--role'],
    [['key:create', 'shop', '--role', '--json'], /--role needs a value/, '--role'],
    [['key:create', 'shop', '--json=yes'], /--json takes no value/, '--json'],
    [['status', '-x'], /Unknown flag -x for status/, '-x'],
  ])('refuses %j naming the flag', (argv, message, flag) => {
    expect(() => parseArgs(argv, COMMANDS.find((c) => c.name === argv[0])!.flags)).toThrow(
      expect.objectContaining({ code: 'MESSAGE_INVALID', message: expect.stringMatching(message), details: { usage: true, flag } }),
    );
  });

  it('every command declares its flags, none shadowing a common one', () => {
    for (const c of COMMANDS) {
      expect(c.flags, c.name).toBeTypeOf('object');
      for (const name of ['config', 'node', 'json', 'help']) expect(Object.keys(c.flags), c.name).not.toContain(name);
    }
  });

  it('the real binary exits 2 on `key:create shop --rol developer`, naming the flag, before reaching any node', async () => {
    const cwd = tempDir();
    const typo = await mobo(['key:create', 'shop', '--rol', 'developer'], { cwd });
    expect(typo.code).toBe(2);
    expect(typo.stderr).toContain('--rol');
    expect(typo.stdout).toBe('');
    const json = await mobo(['key:create', 'shop', '--role', '--json'], { cwd });
    expect(json.code).toBe(2);
    expect(JSON.parse(json.stderr)).toMatchObject({ error: { code: 'MESSAGE_INVALID', details: { usage: true, flag: '--role' } } });
    expect((await mobo(['frobnicate', '--rol'], { cwd })).code).toBe(2);
  });
});
