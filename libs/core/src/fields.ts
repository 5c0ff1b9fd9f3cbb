import { badInput } from './errors';
import { requireText, requireUuid } from './ids';

/**
 * Bounded list inputs the supporting domains share beside the single-value guards in ids.ts and
 * validity.ts: scopes (site/area/asset/document ids) and short text lists (checklist questions, asset
 * classes). Domain functions are also called from consumers and schedulers, so they check again what
 * GraphQL already typed, and refuse with BAD_USER_INPUT naming the field.
 */

/** A list of UUIDs, lower-cased and deduplicated, at most `max` long. */
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

/** Cuts generated text (descriptions composed from several fields) to a contract's maximum length. */
export const clipText = (text: string, max: number) => (text.length > max ? `${text.slice(0, max - 1)}…` : text);
