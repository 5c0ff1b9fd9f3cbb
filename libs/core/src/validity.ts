import { badInput } from './errors';

/**
 * Dates that decide whether something may be relied on now: permit validity windows, gas tests,
 * qualifications. Every rule takes `now` so tests and schedulers pass their own clock.
 */

/** Parses an ISO date-time (or a Date); absent values give null, malformed ones BAD_USER_INPUT. */
export function optionalDate(value: unknown, field: string): Date | null {
  if (value === undefined || value === null || value === '') return null;
  const date = value instanceof Date ? new Date(value.getTime()) : typeof value === 'string' ? new Date(value) : new Date(NaN);
  if (Number.isNaN(date.getTime())) throw badInput(`${field} must be an ISO date-time`, { field });
  return date;
}

export function requireDate(value: unknown, field: string): Date {
  const date = optionalDate(value, field);
  if (!date) throw badInput(`${field} is required`, { field });
  return date;
}

/** Refuses a value that is not one of the allowed choices (an enum arriving as text). */
export function oneOf<T extends string>(values: readonly T[], value: unknown, field: string): T {
  if (typeof value !== 'string' || !(values as readonly string[]).includes(value)) {
    throw badInput(`${field} must be one of ${values.join(', ')}`, { field });
  }
  return value as T;
}

/** Calendar months later, clamped to the month's last day (31 Jan + 1 month = 28/29 Feb), in UTC. */
export function addMonths(date: Date, months: number): Date {
  const result = new Date(date.getTime());
  const day = result.getUTCDate();
  result.setUTCDate(1);
  result.setUTCMonth(result.getUTCMonth() + months);
  const lastDay = new Date(Date.UTC(result.getUTCFullYear(), result.getUTCMonth() + 1, 0)).getUTCDate();
  result.setUTCDate(Math.min(day, lastDay));
  return result;
}

export const DAY_MS = 24 * 3600_000;

/** True while `now` is inside [from, to): the end instant itself is already out of date. */
export function inWindow(now: Date, from: Date | null, to: Date | null): boolean {
  return (!from || from.getTime() <= now.getTime()) && (!to || now.getTime() < to.getTime());
}

export type ValidityStatus = 'VALID' | 'EXPIRING' | 'EXPIRED';

/** VALID, EXPIRING when it ends within `warnDays`, or EXPIRED; no end date means valid for good. */
export function validityStatus(expiresAt: Date | null, now: Date, warnDays = 30): ValidityStatus {
  if (!expiresAt) return 'VALID';
  if (expiresAt.getTime() <= now.getTime()) return 'EXPIRED';
  return expiresAt.getTime() - now.getTime() < warnDays * DAY_MS ? 'EXPIRING' : 'VALID';
}
