/**
 * The schedule screen's day and week in a facility's time zone, computed by the page's own
 * time module (a day is local midnight to midnight, a week starts on Monday), so the
 * benchmark asks the API exactly what the page asks.
 */
import { addDays, dateIn, startOfDay, weekStart } from '../../packages/web/src/client/time';

export interface ScheduleRange {
  label: 'day' | 'week';
  /** The first local date of the range. */
  date: string;
  days: number;
  from: number;
  before: number;
}

/** The day the schedule opens on (today at the facility) and the week switching shows. */
export function uiRanges(now: number, timeZone: string): ScheduleRange[] {
  const today = dateIn(now, timeZone);
  const monday = weekStart(today);
  return [
    {
      label: 'day',
      date: today,
      days: 1,
      from: startOfDay(today, timeZone),
      before: startOfDay(addDays(today, 1), timeZone),
    },
    {
      label: 'week',
      date: monday,
      days: 7,
      from: startOfDay(monday, timeZone),
      before: startOfDay(addDays(monday, 7), timeZone),
    },
  ];
}
