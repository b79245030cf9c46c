import { Cron as Croner } from 'croner';
import { MoboError } from '../../runtime/index.js';

/**
 * A 5-field cron expression (minute hour day-of-month month day-of-week), in UTC, parsed
 * and stepped by croner (the one file that imports it): `*`, numbers, ranges `a-b`, steps
 * `*\/n` and `a-b/n`, lists `a,b`, names `jan`… and `sun`…, `7` for Sunday. As in Vixie
 * cron, when both day fields are restricted a day matching either one runs.
 */
export class Cron {
  private constructor(
    readonly expression: string,
    private readonly pattern: Croner,
  ) {}

  static parse(expression: string): Cron {
    const text = expression.trim();
    if (text.split(/\s+/).length !== 5) throw invalid(expression, 'a cron expression has 5 fields: minute hour day month weekday');
    try {
      return new Cron(text, new Croner(text, { mode: '5-part', timezone: 'UTC', domAndDow: false, paused: true }));
    } catch (err) {
      throw invalid(expression, err instanceof Error ? err.message.replace(/^CronPattern: /, '') : 'it does not parse');
    }
  }

  /** The first run strictly after `after` (epoch ms), on a whole minute. */
  next(after: number): number {
    const next = this.pattern.nextRun(new Date(after));
    if (!next) throw invalid(this.expression, 'it never runs');
    return next.getTime();
  }
}

function invalid(expression: string, why: string): MoboError {
  return new MoboError('BACKUP_SCHEDULE_INVALID', `Invalid cron expression "${expression}": ${why}`, { details: { cron: expression } });
}
