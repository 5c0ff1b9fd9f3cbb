import DataLoader from 'dataloader';
import { notFound } from './errors';
import { selectRows } from './rows';
import type { EntityTarget, ObjectLiteral } from 'typeorm';
import type { Source } from './rows';

/**
 * Batched lookups: whatever number of keys a request asks for, each loader runs one SQL statement per
 * tick. Every service builds its per-request loaders from these two shapes.
 *
 * They read with one plain `SELECT … WHERE column = ANY($1)` (`selectRows`, built once per entity from
 * TypeORM's metadata), not with `repository.find`: a lookup costs about half the CPU.
 */
export function loaderBy<T extends ObjectLiteral>(db: Source, entity: EntityTarget<T>, column: keyof T & string = 'id') {
  return new DataLoader<string, T | null>(async (keys) => {
    const rows = await selectRows(db, entity, column, keys);
    const map = new Map(rows.map((row) => [String(row[column]), row]));
    return keys.map((key) => map.get(key) ?? null);
  });
}

export function loaderGrouped<T extends ObjectLiteral>(
  db: Source,
  entity: EntityTarget<T>,
  column: keyof T & string,
  order: Partial<Record<keyof T & string, 'ASC' | 'DESC'>> = {},
) {
  return new DataLoader<string, T[]>(async (keys) => {
    const rows = await selectRows(db, entity, column, keys, { order });
    const groups = new Map<string, T[]>(keys.map((key) => [key, []]));
    for (const row of rows) groups.get(String(row[column]))?.push(row);
    return keys.map((key) => groups.get(key) ?? []);
  });
}

/** Awaits a loader result that must exist (a required relation), or fails with NOT_FOUND. */
export async function found<T>(row: Promise<T | null>, what: string, id: string): Promise<T> {
  const value = await row;
  if (!value) throw notFound(what, id);
  return value;
}

/** The rows a `loadMany` found, without the misses (null) and failures: loaders return plain objects, so no `instanceof`. */
export function loaded<T>(results: ReadonlyArray<T | null | Error>): T[] {
  return results.filter((r): r is T => r !== null && r !== undefined && !(r instanceof Error));
}
