import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { StateFile } from '../../actors/kernel/state-file.js';

const dir = (): string => mkdtempSync(join(tmpdir(), 'mobo-state-'));

describe('state file', () => {
  it('round-trips state and leaves no temp file behind', () => {
    const d = dir();
    const file = new StateFile(join(d, 'state.json'));
    file.save({ a: 1, nested: { b: [1, 2] } });
    expect(file.load()).toEqual({ data: { a: 1, nested: { b: [1, 2] } } });
    expect(readdirSync(d)).toEqual(['state.json']);
  });

  it('starts empty when there is no file', () => {
    expect(new StateFile(join(dir(), 'state.json')).load()).toEqual({ data: {} });
  });

  it('sets a corrupt file aside and starts empty instead of crashing', () => {
    const d = dir();
    const path = join(d, 'state.json');
    writeFileSync(path, '{"a": 1, "trunc');
    const loaded = new StateFile(path).load(42);
    expect(loaded).toEqual({ data: {}, setAside: `${path}.corrupt-42` });
    expect(existsSync(path)).toBe(false);
    expect(readFileSync(`${path}.corrupt-42`, 'utf8')).toBe('{"a": 1, "trunc');
  });

  it('treats valid JSON that is not an object as corrupt', () => {
    const path = join(dir(), 'state.json');
    writeFileSync(path, '[1,2,3]');
    expect(new StateFile(path).load(7).setAside).toBe(`${path}.corrupt-7`);
  });

  it('reports a write it cannot make with STATE_WRITE_FAILED', () => {
    const d = dir();
    writeFileSync(join(d, 'blocker'), 'x');
    const file = new StateFile(join(d, 'blocker', 'state.json'));
    expect(() => file.save({ a: 1 })).toThrow(expect.objectContaining({ code: 'STATE_WRITE_FAILED' }));
  });
});
