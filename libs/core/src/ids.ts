import { badInput } from './errors';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export const isUuid = (value: unknown): value is string => typeof value === 'string' && UUID.test(value);

/** Rejects malformed ids before they reach SQL, so callers get BAD_USER_INPUT instead of a driver error. */
export function requireUuid(value: unknown, field = 'id'): string {
  if (!isUuid(value)) throw badInput(`${field} must be a UUID`, { field });
  return value.toLowerCase();
}

export function optionalUuid(value: unknown, field: string): string | undefined {
  return value === undefined || value === null ? undefined : requireUuid(value, field);
}

/**
 * Characters Postgres cannot store in text or jsonb: NUL, and UTF-16 surrogates without their pair (JSON
 * allows `\ud800`, UTF-8 has no encoding for it).
 */
const UNSTORABLE = /\u0000|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

/** The text with every character Postgres cannot store replaced by U+FFFD (for records of refused input). */
export const toStorableText = (value: string) => value.replace(new RegExp(UNSTORABLE.source, 'g'), '\ufffd');

/** True when a text can be stored as it is (see `UNSTORABLE`). */
export const isStorableText = (value: string) => !UNSTORABLE.test(value);

/** Refuses text that cannot be stored (NUL, a lone surrogate) with BAD_USER_INPUT naming the field. */
export function requireStorableText(value: string, field: string): string {
  if (!isStorableText(value)) throw badInput(`${field} contains a character that cannot be stored (NUL or an unpaired surrogate)`, { field });
  return value;
}

/** Length guard for free text: refuses oversized input with a clear error instead of storing it. */
export function requireText(value: unknown, field: string, { max = 2000, required = true } = {}): string {
  if (value === undefined || value === null || (typeof value === 'string' && value.trim() === '')) {
    if (required) throw badInput(`${field} is required`, { field });
    return '';
  }
  if (typeof value !== 'string') throw badInput(`${field} must be text`, { field });
  if (value.length > max) throw badInput(`${field} is longer than ${max} characters`, { field, max });
  return requireStorableText(value, field).trim();
}

export function optionalText(value: unknown, field: string, max = 2000): string | null {
  const text = requireText(value, field, { max, required: false });
  return text === '' ? null : text;
}
