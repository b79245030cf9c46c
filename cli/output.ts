import { describeError, MoboError } from '../runtime/index.js';

export interface Output {
  json: boolean;
  /** Machine output (stdout): JSON when --json, else the human rendering. */
  result(value: unknown, human: () => string): void;
  line(text: string): void;
  error(err: unknown): void;
}

export function createOutput(json: boolean): Output {
  return {
    json,
    result(value, human) {
      process.stdout.write(json ? JSON.stringify(value) + '\n' : human() + '\n');
    },
    line(text) {
      if (!json) process.stdout.write(text + '\n');
    },
    error(err) {
      if (json) {
        const body = err instanceof MoboError ? err.toBody() : { code: 'INTERNAL', message: describeError(err) };
        process.stderr.write(JSON.stringify({ error: body }) + '\n');
      } else {
        process.stderr.write(`mobo: ${err instanceof MoboError ? `${err.message} [${err.code}]` : describeError(err)}\n`);
      }
    },
  };
}

/** A plain text table: columns padded to their widest cell. */
export function table(rows: string[][]): string {
  const widths = rows[0]?.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length))) ?? [];
  return rows.map((r) => r.map((cell, i) => cell.padEnd(widths[i] ?? 0)).join('  ').trimEnd()).join('\n');
}
