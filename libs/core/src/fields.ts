import { badInput } from './errors';
import { requireText, requireUuid } from './ids';

/**
 * Input guards the supporting domains share beside those in ids.ts: enum values, dates and bounded lists
 * arrive from GraphQL already typed, but domain functions are also called from consumers and schedulers,
 * so they check again and refuse with BAD_USER_INPUT naming the field.
 */
export function requireOneOf<T extends string>(values: readonly T[], value: unknown, field: string): T {
  if (typeof value !== 'string' || !(values as readonly string[]).includes(value)) {
    throw badInput(`${field} must be one of ${values.join(', ')}`, { field });
  }
  return value as T;
}

export function optionalDate(value: unknown, field: string): Date | null {
  if (value === undefined || value === null || value === '') return null;
  const date = value instanceof Date ? new Date(value.getTime()) : new Date(String(value));
  if (Number.isNaN(date.getTime())) throw badInput(`${field} must be an ISO date-time`, { field });
  return date;
}

export function requireDate(value: unknown, field: string): Date {
  const date = optionalDate(value, field);
  if (!date) throw badInput(`${field} is required`, { field });
  return date;
}

/** A list of UUIDs, deduplicated, at most `max` long. */
export function uuidList(values: readonly unknown[] | null | undefined, field: string, max = 100): string[] {
  const list = values ?? [];
  if (list.length > max) throw badInput(`${field}: at most ${max} ids`, { field, max });
  return [...new Set(list.map((v, i) => requireUuid(v, `${field}[${i}]`)))];
}

/** A list of short texts, trimmed and deduplicated, at most `max` long. */
export function textList(values: readonly unknown[] | null | undefined, field: string, { max = 50, maxLength = 500 } = {}): string[] {
  const list = values ?? [];
  if (list.length > max) throw badInput(`${field}: at most ${max} entries`, { field, max });
  return [...new Set(list.map((v, i) => requireText(v, `${field}[${i}]`, { max: maxLength })))];
}
