import { execFile } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

export interface WrkResult {
  rps: number;
  p50ms: number;
  p99ms: number;
  errors: number;
}

export interface WrkLoad {
  url: string;
  connections: number;
  /** wrk's threads (default 2; at most `connections`). */
  threads?: number;
  seconds: number;
  /** A wrk Lua script body (request function), for varying paths or bodies. */
  lua?: string;
}

/** Runs wrk (a separate process: load never shares the server's event loop) and reads its summary. */
export async function wrk(load: WrkLoad): Promise<WrkResult> {
  const args = [`-t${Math.min(load.threads ?? 2, load.connections)}`, `-c${load.connections}`, `-d${load.seconds}s`, '--latency', '--timeout', '5s'];
  if (load.lua) {
    const script = join(tmpdir(), `mobo-wrk-${process.pid}-${Math.random().toString(36).slice(2)}.lua`);
    writeFileSync(script, load.lua);
    args.push('-s', script);
  }
  const { stdout } = await run('wrk', [...args, load.url], { timeout: (load.seconds + 30) * 1000 });
  const num = (re: RegExp): number => Number(re.exec(stdout)?.[1] ?? Number.NaN);
  const ms = (re: RegExp): number => {
    const m = re.exec(stdout);
    if (!m) return Number.NaN;
    const value = Number(m[1]);
    return m[2] === 'us' ? value / 1000 : m[2] === 's' ? value * 1000 : value;
  };
  const non2xx = num(/Non-2xx or 3xx responses: (\d+)/);
  const socketErrors = (/Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(stdout) ?? []).slice(1).reduce((a, b) => a + Number(b), 0);
  return {
    rps: num(/Requests\/sec:\s+([\d.]+)/),
    p50ms: ms(/\s50%\s+([\d.]+)(us|ms|s)/),
    p99ms: ms(/\s99%\s+([\d.]+)(us|ms|s)/),
    errors: (Number.isNaN(non2xx) ? 0 : non2xx) + socketErrors,
  };
}

/** Lua for wrk: a header on every request, and a path (or body) chosen per request. */
export function luaScript(opts: { headers: Record<string, string>; path: string; method?: string; body?: string }): string {
  const headers = Object.entries(opts.headers)
    .map(([k, v]) => `wrk.headers[${JSON.stringify(k)}] = ${JSON.stringify(v)}`)
    .join('\n');
  return `${headers}
math.randomseed(os.time())
request = function()
  local id = math.random(1, 10000)
  local path = string.gsub(${JSON.stringify(opts.path)}, "{id}", tostring(id))
  local body = ${opts.body ? `string.gsub(${JSON.stringify(opts.body)}, "{id}", tostring(id))` : 'nil'}
  return wrk.format(${JSON.stringify(opts.method ?? 'GET')}, path, nil, body)
end
`;
}
