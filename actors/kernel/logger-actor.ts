import { z } from 'zod';
import type { Board, ComponentSlot } from '../board.js';
import { type Behavior, dispatch, type Logger, on } from '../../runtime/index.js';
import type { MoboConfig } from '../../config/index.js';

/** Resolves `auto` to what suits the output: readable in a terminal, JSON lines elsewhere. */
export function logFormat(format: MoboConfig['log']['format'], isTTY: boolean): 'json' | 'pretty' {
  return format === 'auto' ? (isTTY ? 'pretty' : 'json') : format;
}

export function applyLogSettings(log: Logger, config: Readonly<MoboConfig>): void {
  log.configure({ level: config.log.level, format: logFormat(config.log.format, Boolean(process.stderr.isTTY)) });
}

/** Owns the node's log settings: follows config reloads and answers `log.level` changes. */
export const loggerSlot: ComponentSlot = {
  name: 'logger',
  group: 'kernel',
  dependsOn: ['config'],
  behavior: (board: Board): Behavior => {
    let off: (() => void) | undefined;
    const handlers = {
      'log.level': on(z.object({ level: z.enum(['debug', 'info', 'warn', 'error', 'silent']) }), ({ level }) => {
        board.log.configure({ level });
        return { level };
      }),
    };
    return {
      start() {
        applyLogSettings(board.log, board.configStore.current());
        off = board.system.events.on('system.config.changed', () => applyLogSettings(board.log, board.configStore.current()));
      },
      receive: (msg, ctx) => dispatch(handlers, msg, ctx),
      stop: () => off?.(),
    };
  },
};
