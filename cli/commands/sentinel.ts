import { createInterface } from 'node:readline';
import { defaultManifestPath, decide, resolveBands, SqlGuard } from '../../actors/sentinel/index.js';
import { loadConfig } from '../../config/load.js';
import { flagString } from '../args.js';
import type { Command } from '../command.js';
import { EXIT } from '../exit-codes.js';

const BATCH = 512;

export const sentinelCheckCommand: Command = {
  name: 'sentinel:check',
  summary: 'Score values read from stdin (one per line) with SQLGuard, to tune its bands',
  usage: 'mobo sentinel:check [--config FILE] [--model MANIFEST] < values.txt',
  details:
    'Runs here, without a node: the model and the bands come from the config (sentinel.sqlguard), or --model. ' +
    'Prints one JSON line per value: {"value","score","decision"}, decision one of block, alert, log, allow.',
  async run(args) {
    const configFile = flagString(args, 'config');
    const config = loadConfig(configFile === undefined ? {} : { file: configFile }).config.sentinel.sqlguard;
    const guard = await SqlGuard.load(flagString(args, 'model') ?? config.model ?? defaultManifestPath());
    const bands = resolveBands(config.bands, guard.manifest);
    let batch: string[] = [];
    const flush = async () => {
      const scored = await guard.score(batch);
      batch = [];
      process.stdout.write(scored.map((s) => JSON.stringify({ value: s.value, score: s.score, decision: decide(s.score, bands) })).join('\n') + '\n');
    };
    for await (const line of createInterface({ input: process.stdin, crlfDelay: Infinity })) {
      batch.push(line);
      if (batch.length === BATCH) await flush();
    }
    if (batch.length > 0) await flush();
    await guard.close();
    return EXIT.OK;
  },
};

export const SENTINEL_COMMANDS: readonly Command[] = [sentinelCheckCommand];
