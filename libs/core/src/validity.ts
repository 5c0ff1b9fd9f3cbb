import { badInput } from './errors';

/**
 * Dates that decide whether something may be relied on now: permit validity windows, gas tests,
 * qualifications. Every rule takes `now` so tests and schedulers pass their own clock.
 */

/**
 * An RFC 3339 date-time (`2026-03-01T06:00:00Z`, `…T06:00:00.250+01:00`) or a calendar date (`2026-03-01`,
 * midnight UTC). JavaScript's own parser rolls impossible days over (`2024-02-30` becomes 1 March) and
 * reads many other shapes by local time, so the fields are checked here, one parser for every subgraph.
 */
const DATE_TIME = /^(\d{4})-(\d{2})-(\d{2})(?:[Tt ](\d{2}):(\d{2}):(\d{2})(\.\d{1,9})?([Zz]|[+-](\d{2}):(\d{2})))?$/;

/** Parses a date-time as `DATE_TIME` describes, or returns null when it is not one or names no real instant. */
export function parseDateTime(text: string): Date | null {
  const m = DATE_TIME.exec(text);
  if (!m) return null;
  const [year, month, day] = [Number(m[1]), Number(m[2]), Number(m[3])];
  const daysInMonth = new Date(Date.UTC(year, month, 0)).getUTCDate();
  if (month < 1 || month > 12 || day < 1 || day > daysInMonth) return null;
  if (m[4] !== undefined) {
    const [hour, minute, second] = [Number(m[4]), Number(m[5]), Number(m[6])];
    if (hour > 23 || minute > 59 || second > 59) return null;
    if (m[9] !== undefined && (Number(m[9]) > 23 || Number(m[10]) > 59)) return null;
  }
  const date = new Date(m[4] === undefined ? `${m[1]}-${m[2]}-${m[3]}T00:00:00Z` : text.toUpperCase().replace(' ', 'T'));
  return Number.isNaN(date.getTime()) ? null : date;
}

/** Parses an ISO date-time (or a Date); absent values give null, malformed, impossible or empty ones BAD_USER_INPUT. */
export function optionalDate(value: unknown, field: string): Date | null {
  if (value === undefined || value === null) return null;
  const date = value instanceof Date ? new Date(value.getTime()) : typeof value === 'string' ? parseDateTime(value.trim()) : null;
  if (!date || Number.isNaN(date.getTime())) throw badInput(`${field} must be an ISO 8601 date-time such as 2026-03-01T06:00:00Z`, { field });
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

/** Link schemes evidence and attachments may use: `https:`, and `http:` where OPSGRAPH_ALLOW_HTTP_LINKS=true. */
const linkSchemes = () => (process.env.OPSGRAPH_ALLOW_HTTP_LINKS === 'true' ? ['https:', 'http:'] : ['https:']);

/**
 * A link to a file or page given as evidence or an attachment: an absolute `https:` URL with a host (see
 * `linkSchemes`). Anything else (`javascript:`, `data:`, `file:`, relative paths) would be opened by whoever
 * reviews the evidence, so it is refused.
 */
export function optionalLinkUrl(value: unknown, field: string, max = 2000): string | null {
  if (value === undefined || value === null) return null;
  if (typeof value !== 'string' || value.trim() === '') throw badInput(`${field} must be a URL`, { field });
  const text = value.trim();
  if (text.length > max) throw badInput(`${field} is longer than ${max} characters`, { field, max });
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw badInput(`${field} must be an absolute URL`, { field });
  }
  const allowed = linkSchemes();
  if (!allowed.includes(url.protocol) || !url.hostname) throw badInput(`${field} must be a ${allowed.join(' or ')} link`, { field, allowed });
  return text;
}
