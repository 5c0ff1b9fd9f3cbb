import DataLoader from 'dataloader';
import { notFound } from './errors';
import { In, type DataSource, type EntityTarget, type ObjectLiteral } from 'typeorm';

/**
 * Batched lookups: whatever number of keys a request asks for, each loader runs one SQL statement per
 * tick. Every service builds its per-request loaders from these two shapes.
 */
export function loaderBy<T extends ObjectLiteral>(db: DataSource, entity: EntityTarget<T>, column: keyof T & string = 'id') {
  return new DataLoader<string, T | null>(async (keys) => {
    const rows = await db.getRepository(entity).find({ where: { [column]: In(keys as string[]) } as never });
    const map = new Map(rows.map((row) => [String(row[column]), row]));
    return keys.map((key) => map.get(key) ?? null);
  });
}

export function loaderGrouped<T extends ObjectLiteral>(
  db: DataSource,
  entity: EntityTarget<T>,
  column: keyof T & string,
  order: Partial<Record<keyof T & string, 'ASC' | 'DESC'>> = {},
) {
  return new DataLoader<string, T[]>(async (keys) => {
    const rows = await db.getRepository(entity).find({ where: { [column]: In(keys as string[]) } as never, order: order as never });
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
