import DataLoader from 'dataloader';
import { notFound } from './errors';
import type { DataSource, EntityTarget, ObjectLiteral } from 'typeorm';

/**
 * Batched lookups: whatever number of keys a request asks for, each loader runs one SQL statement per
 * tick. Every service builds its per-request loaders from these two shapes.
 *
 * They read with one plain `SELECT … WHERE column = ANY($1)` built once per entity from TypeORM's metadata,
 * not with `repository.find`: the rows come back as plain objects with the entity's property names, typed by
 * the pg driver (the entities use only types it maps as TypeORM does), and a lookup costs about half the CPU.
 */
export function loaderBy<T extends ObjectLiteral>(db: DataSource, entity: EntityTarget<T>, column: keyof T & string = 'id') {
  const select = selectFor(db, entity);
  return new DataLoader<string, T | null>(async (keys) => {
    const rows = await select.where<T>(column, keys);
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
  const select = selectFor(db, entity);
  return new DataLoader<string, T[]>(async (keys) => {
    const rows = await select.where<T>(column, keys, order as Record<string, 'ASC' | 'DESC'>);
    const groups = new Map<string, T[]>(keys.map((key) => [key, []]));
    for (const row of rows) groups.get(String(row[column]))?.push(row);
    return keys.map((key) => groups.get(key) ?? []);
  });
}

/**
 * The rows of an entity whose `column` is one of `keys` (all rows without keys), through the same plain SELECT
 * the loaders use: for hand-written batch loaders and hot lookups that would otherwise go through `find`.
 */
export function selectWhere<T extends ObjectLiteral>(
  db: DataSource,
  entity: EntityTarget<T>,
  column: keyof T & string,
  keys: readonly string[] | null,
  order: Partial<Record<keyof T & string, 'ASC' | 'DESC'>> = {},
): Promise<T[]> {
  return selectFor(db, entity).where<T>(column, keys, order as Record<string, 'ASC' | 'DESC'>);
}

/** Awaits a loader result that must exist (a required relation), or fails with NOT_FOUND. */
export async function found<T>(row: Promise<T | null>, what: string, id: string): Promise<T> {
  const value = await row;
  if (!value) throw notFound(what, id);
  return value;
}

interface EntitySelect {
  /** Rows whose column is one of `keys`; every row when `keys` is null. */
  where<T>(column: string, keys: readonly string[] | null, order?: Record<string, 'ASC' | 'DESC'>): Promise<T[]>;
}

const selects = new WeakMap<DataSource, Map<unknown, EntitySelect>>();

/** The SELECT list of an entity and its property → column names, computed once per data source and entity. */
function selectFor(db: DataSource, entity: EntityTarget<ObjectLiteral>): EntitySelect {
  let perSource = selects.get(db);
  if (!perSource) selects.set(db, (perSource = new Map()));
  const cached = perSource.get(entity);
  if (cached) return cached;
  const meta = db.getMetadata(entity);
  if (meta.embeddeds.length || meta.relations.length) throw new Error(`${meta.name}: batch loaders read flat entities only`);
  const quote = (name: string) => `"${name.replace(/"/g, '""')}"`;
  const columnOf = new Map(meta.columns.map((c) => [c.propertyName, quote(c.databaseName)]));
  const list = meta.columns.map((c) => (c.databaseName === c.propertyName ? quote(c.databaseName) : `${quote(c.databaseName)} AS ${quote(c.propertyName)}`)).join(', ');
  const from = meta.schema ? `${quote(meta.schema)}.${quote(meta.tableName)}` : quote(meta.tableName);
  const sqlCache = new Map<string, string>();
  const select: EntitySelect = {
    where(column, keys, order = {}) {
      const cacheKey = `${keys ? column : '*'}|${Object.entries(order).join(',')}`;
      let sql = sqlCache.get(cacheKey);
      if (!sql) {
        const by = Object.entries(order).map(([property, direction]) => `${columnOf.get(property) ?? fail(property)} ${direction === 'DESC' ? 'DESC' : 'ASC'}`);
        const where = keys ? ` WHERE ${columnOf.get(column) ?? fail(column)} = ANY($1)` : '';
        sql = `SELECT ${list} FROM ${from}${where}${by.length ? ` ORDER BY ${by.join(', ')}` : ''}`;
        sqlCache.set(cacheKey, sql);
      }
      return db.query(sql, keys ? [keys] : []);
    },
  };
  perSource.set(entity, select);
  return select;

  function fail(property: string): never {
    throw new Error(`${meta.name} has no column for property ${property}`);
  }
}

/** The rows a `loadMany` found, without the misses (null) and failures: loaders return plain objects, so no `instanceof`. */
export function loaded<T>(results: ReadonlyArray<T | null | Error>): T[] {
  return results.filter((r): r is T => r !== null && r !== undefined && !(r instanceof Error));
}
