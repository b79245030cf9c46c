import type { Behavior } from '../../runtime/behavior.js';
import type { Clock } from '../../runtime/clock.js';
import type { HealthReport } from '../../runtime/lifecycle.js';
import { ActorSystem } from '../../runtime/system.js';
import type { Transport } from '../../runtime/transport.js';
import type { ChildSpec, RestartType } from '../../supervisors/child.js';
import { Supervisor, type SupervisorOptions } from '../../supervisors/supervisor.js';

/** Records each incarnation of each test actor, so tests see exactly who restarted. */
export class Journal {
  readonly started: string[] = [];
  readonly stopped: string[] = [];
  incarnations(name: string): number {
    return this.started.filter((n) => n === name).length;
  }
}

export interface TestActorOptions {
  restart?: RestartType;
  dependsOn?: string[];
  failStart?: () => boolean;
  health?: () => HealthReport;
  /** Never finishes stopping, to exercise the shutdown timeout. */
  hangOnStop?: boolean;
  shutdownMs?: number;
}

/**
 * A small real actor: `echo` answers its payload, `crash` throws, `slow` waits on a
 * promise the test controls, `exit` stops normally, `whoami` tells its incarnation.
 */
export function testActor(system: ActorSystem, journal: Journal, name: string, opts: TestActorOptions = {}): ChildSpec {
  const spec: ChildSpec = {
    name,
    restart: opts.restart ?? 'permanent',
    dependsOn: opts.dependsOn ?? [],
    create: () =>
      system.spawn(`test.${name}`, (): Behavior => {
        const incarnation = journal.incarnations(name) + 1;
        return {
          start() {
            if (opts.failStart?.()) throw new Error(`${name} refuses to start`);
            journal.started.push(name);
          },
          receive(msg, ctx) {
            switch (msg.type) {
              case 'echo':
                return msg.payload;
              case 'whoami':
                return incarnation;
              case 'crash':
                throw new Error('crash requested');
              case 'slow':
                return new Promise((resolve) => setTimeout(() => resolve('late'), msg.payload as number));
              case 'exit':
                ctx.stopSelf();
                return 'bye';
              default:
                return null;
            }
          },
          health: opts.health,
          stop() {
            journal.stopped.push(name);
            if (opts.hangOnStop) return new Promise<void>(() => undefined);
          },
        };
      }),
  };
  if (opts.shutdownMs !== undefined) spec.shutdownMs = opts.shutdownMs;
  return spec;
}

export function makeSystem(opts: { clock?: Clock; transport?: Transport } = {}): ActorSystem {
  return new ActorSystem({ nodeId: 'test', ...opts });
}

export function makeSupervisor(system: ActorSystem, options: SupervisorOptions): Supervisor {
  return new Supervisor(options, { clock: system.clock, events: system.events, log: system.log });
}

/** Resolves when the named component has been restarted by its supervisor. */
export function restarted(system: ActorSystem, name: string): Promise<unknown> {
  return system.events.once<{ name: string }>('component.restarted', (e) => e.payload.name === name);
}
