import { MoboError } from '../../runtime/errors.js';

/**
 * A 5-field cron expression (minute hour day-of-month month day-of-week), in UTC: `*`,
 * numbers, ranges `a-b`, steps `*\/n` and `a-b/n`, lists `a,b`, names `jan`… and `sun`….
 * As in Vixie cron, when both day fields are restricted a day matching either one runs.
 */
export class Cron {
  private constructor(
    readonly expression: string,
    private readonly minutes: Set<number>,
    private readonly hours: Set<number>,
    private readonly days: Set<number>,
    private readonly months: Set<number>,
    private readonly weekdays: Set<number>,
    private readonly anyDay: boolean,
    private readonly anyWeekday: boolean,
  ) {}

  static parse(expression: string): Cron {
    const fields = expression.trim().split(/\s+/);
    if (fields.length !== 5) throw invalid(expression, 'a cron expression has 5 fields: minute hour day month weekday');
    const [m, h, dom, mon, dow] = fields as [string, string, string, string, string];
    const weekdays = field(expression, dow, 0, 7, DAY_NAMES);
    if (weekdays.delete(7)) weekdays.add(0);
    return new Cron(expression.trim(), field(expression, m, 0, 59), field(expression, h, 0, 23), field(expression, dom, 1, 31), field(expression, mon, 1, 12, MONTH_NAMES), weekdays, dom === '*', dow === '*');
  }

  /** The first run strictly after `after` (epoch ms), on a whole minute. */
  next(after: number): number {
    const t = new Date(Math.floor(after / 60_000) * 60_000 + 60_000);
    const limit = after + 5 * 366 * 86_400_000;
    while (t.getTime() <= limit) {
      if (!this.months.has(t.getUTCMonth() + 1)) {
        t.setUTCMonth(t.getUTCMonth() + 1, 1);
        t.setUTCHours(0, 0);
      } else if (!this.dayMatches(t)) {
        t.setUTCDate(t.getUTCDate() + 1);
        t.setUTCHours(0, 0);
      } else if (!this.hours.has(t.getUTCHours())) {
        t.setUTCHours(t.getUTCHours() + 1, 0);
      } else if (!this.minutes.has(t.getUTCMinutes())) {
        t.setUTCMinutes(t.getUTCMinutes() + 1);
      } else {
        return t.getTime();
      }
    }
    throw invalid(this.expression, 'it never runs');
  }

  private dayMatches(t: Date): boolean {
    const dom = this.days.has(t.getUTCDate());
    const dow = this.weekdays.has(t.getUTCDay());
    if (this.anyDay && this.anyWeekday) return true;
    if (this.anyDay) return dow;
    if (this.anyWeekday) return dom;
    return dom || dow;
  }
}

const MONTH_NAMES = ['jan', 'feb', 'mar', 'apr', 'may', 'jun', 'jul', 'aug', 'sep', 'oct', 'nov', 'dec'];
const DAY_NAMES = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'];

function field(expression: string, text: string, min: number, max: number, names?: string[]): Set<number> {
  const values = new Set<number>();
  const value = (s: string): number => {
    const named = names?.indexOf(s.toLowerCase()) ?? -1;
    const n = named >= 0 ? named + (min === 1 ? 1 : 0) : /^\d+$/.test(s) ? Number(s) : NaN;
    if (!Number.isInteger(n) || n < min || n > max) throw invalid(expression, `"${s}" is not in ${min}-${max}`);
    return n;
  };
  for (const item of text.split(',')) {
    const [range, stepText] = item.split('/') as [string, string | undefined];
    const step = stepText === undefined ? 1 : Number(stepText);
    if (!Number.isInteger(step) || step < 1) throw invalid(expression, `"${item}" has a bad step`);
    let [lo, hi] = range === '*' ? [min, max] : range.includes('-') ? range.split('-').map(value) as [number, number] : [value(range), stepText === undefined ? value(range) : max];
    if (lo > hi) throw invalid(expression, `"${item}" is an empty range`);
    for (; lo <= hi; lo += step) values.add(lo);
  }
  return values;
}

function invalid(expression: string, why: string): MoboError {
  return new MoboError('BACKUP_SCHEDULE_INVALID', `Invalid cron expression "${expression}": ${why}`, { details: { cron: expression } });
}
