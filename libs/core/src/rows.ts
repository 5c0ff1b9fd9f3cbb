import type { DataSource, EntityManager, EntityTarget, ObjectLiteral } from 'typeorm';
import type { ColumnMetadata } from 'typeorm/metadata/ColumnMetadata';

/**
 * Plain-SQL reads and writes of whole entity rows, built once per entity from TypeORM's metadata.
 *
 * Rows are plain objects with the entity's property names, typed by the pg driver (the entities use only
 * types it maps as TypeORM does). Writes take any number of rows in ONE statement, the rows travelling as
 * one JSON parameter (`jsonb_to_recordset`): what lets a transaction that changes a hundred records cost a
 * handful of statements, and a lookup or a write cost about half the CPU of `find`/`save`. Flat entities
 * only (no relations or embedded columns), with a single primary key column for updates.
 *
 * Statements run through `source.query`, TypeORM's QueryRunner (its logger counts them for
 * `countStatements`). The same reads straight on the driver's pg Pool saved no clear CPU
 * (bench/experiments/select-rows-pool.ts: 5–20 µs of a 0.06 ms one-row lookup, nothing outside the ±15 %
 * noise on the 0.5–1.2 ms 50-key batches a board runs), so they stay on the one path.
 */
/** Where rows are read: the owner's DataSource (background work) or a manager (a request's, a transaction's). */
export type Source = DataSource | EntityManager;

type Order<T> = Partial<Record<keyof T & string, 'ASC' | 'DESC'>>;

export interface SelectOptions<T> {
  order?: Order<T>;
  /** `FOR UPDATE`: the rows stay locked until the transaction ends (needs a transaction's manager). */
  lock?: boolean;
}

export interface WhereOptions<T> {
  /**
   * By properties, or an ORDER BY fragment written with column names for what properties cannot say (an
   * expression, NULLS LAST); a fragment must be constant like `where`.
   */
  order?: Order<T> | string;
  /** LIMIT, sent as one more parameter so that the statement's text stays the same. */
  limit?: number;
  /** `FOR UPDATE`: the rows stay locked until the transaction ends (needs a transaction's manager). */
  lock?: boolean;
}

interface Column {
  property: string;
  /** Quoted column name. */
  name: string;
  /** SQL type for `jsonb_to_recordset`. */
  type: string;
  /** `"column_name":`, the column's key in the JSON rows. */
  jsonKey: string;
  meta: ColumnMetadata;
}

interface Table {
  entity: string;
  from: string;
  columns: Column[];
  byProperty: Map<string, Column>;
  selectList: string;
  primary: Column;
  version: Column | null;
  updatedAt: Column | null;
  sql: Map<string, string>;
}

const tables = new WeakMap<DataSource, Map<unknown, Table>>();
const quote = (name: string) => `"${name.replace(/"/g, '""')}"`;

/** The DataSource behind a manager (or the DataSource itself). */
const dataSourceOf = (source: Source): DataSource => (source as EntityManager).connection ?? (source as DataSource);

function tableOf(source: Source, entity: EntityTarget<ObjectLiteral>): Table {
  const db = dataSourceOf(source);
  let perSource = tables.get(db);
  if (!perSource) tables.set(db, (perSource = new Map()));
  const cached = perSource.get(entity);
  if (cached) return cached;
  const meta = db.getMetadata(entity);
  if (meta.embeddeds.length || meta.relations.length) throw new Error(`${meta.name}: row helpers read and write flat entities only`);
  const columns = meta.columns.map((c) => ({
    property: c.propertyName,
    name: quote(c.databaseName),
    type: db.driver.normalizeType(c) + (c.isArray ? '[]' : ''),
    jsonKey: `${JSON.stringify(c.databaseName)}:`,
    meta: c,
  }));
  const byProperty = new Map(columns.map((c) => [c.property, c]));
  const table: Table = {
    entity: meta.name,
    from: meta.schema ? `${quote(meta.schema)}.${quote(meta.tableName)}` : quote(meta.tableName),
    columns,
    byProperty,
    selectList: meta.columns.map((c) => (c.databaseName === c.propertyName ? quote(c.databaseName) : `${quote(c.databaseName)} AS ${quote(c.propertyName)}`)).join(', '),
    primary: byProperty.get(meta.primaryColumns[0].propertyName)!,
    version: meta.versionColumn ? byProperty.get(meta.versionColumn.propertyName)! : null,
    updatedAt: meta.updateDateColumn ? byProperty.get(meta.updateDateColumn.propertyName)! : null,
    sql: new Map(),
  };
  perSource.set(entity, table);
  return table;
}

function columnOf(table: Table, property: string): Column {
  const column = table.byProperty.get(property);
  if (!column) throw new Error(`${table.entity} has no column for property ${property}`);
  return column;
}

function cachedSql(table: Table, key: string, build: () => string): string {
  let sql = table.sql.get(key);
  if (!sql) table.sql.set(key, (sql = build()));
  return sql;
}

const orderEntries = (order: Order<unknown> | undefined) => Object.entries(order ?? {}) as [string, 'ASC' | 'DESC'][];

/** ` ORDER BY …` of property entries (empty without any). */
function orderBy(table: Table, order: [string, 'ASC' | 'DESC'][]): string {
  const by = order.map(([property, direction]) => `${columnOf(table, property).name} ${direction === 'DESC' ? 'DESC' : 'ASC'}`);
  return by.length ? ` ORDER BY ${by.join(', ')}` : '';
}

/**
 * `column = ANY(keys)`, planned as index probes whatever the table's statistics say. Given the array itself,
 * the planner prices each key at the default selectivity while a table that grew since it was last
 * analysed has none (0.5 % of the rows each: 60 keys, a third of the table) and scans the whole table (Work's
 * prerequisites of 60 items: 3.4 ms at 20,000 rows, 0.3 ms by index). An array computed at run time is
 * priced as ten keys.
 */
function anyOf(column: Column): string {
  return `${column.name} = ANY(ARRAY(SELECT unnest($1::${column.type}[])))`;
}

/** The rows of an entity whose `column` is one of `keys` (every row when `keys` is null). */
export function selectRows<T extends ObjectLiteral>(source: Source, entity: EntityTarget<T>, column: keyof T & string, keys: readonly string[] | null, options: SelectOptions<T> = {}): Promise<T[]> {
  const table = tableOf(source, entity);
  const order = orderEntries(options.order);
  const sql = cachedSql(table, `select|${keys ? column : '*'}|${order.join(',')}|${options.lock ? 'lock' : ''}`, () => {
    const where = keys ? ` WHERE ${anyOf(columnOf(table, column))}` : '';
    return `SELECT ${table.selectList} FROM ${table.from}${where}${orderBy(table, order)}${options.lock ? ' FOR UPDATE' : ''}`;
  });
  if (keys && CHECK_INDEXES) return indexed(source, table, columnOf(table, column)).then(() => source.query(sql, [keys]));
  return source.query(sql, keys ? [keys] : []);
}

/**
 * Under tests, a read by key checks once per table and column that an index of the table starts with the
 * column, so a loader over an unindexed column fails the suite instead of scanning the table at a plant's
 * scale (the hazards' controls by assessment: a 155,000-row scan per work item page). Production skips it.
 */
const CHECK_INDEXES = process.env.NODE_ENV === 'test';
const indexChecks = new WeakMap<Table, Map<string, Promise<void>>>();

function indexed(source: Source, table: Table, column: Column): Promise<void> {
  let checks = indexChecks.get(table);
  if (!checks) indexChecks.set(table, (checks = new Map()));
  let check = checks.get(column.property);
  if (!check) {
    const db = dataSourceOf(source);
    // On the driver's pool, not through TypeORM: the statement counts that tests assert stay the reads' own.
    const pool = (db.driver as unknown as { master: { query(sql: string, params: unknown[]): Promise<{ rows: unknown[] }> } }).master;
    check = pool
      .query(
        `SELECT 1 FROM pg_index i JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = i.indkey[0]
         WHERE i.indrelid = $1::regclass AND a.attname = $2 AND i.indisvalid AND i.indpred IS NULL LIMIT 1`,
        [table.from, column.meta.databaseName],
      )
      .then(({ rows }) => {
        if (!rows.length) throw new Error(`${table.entity} is read by ${column.property}, but no index of ${table.from} starts with ${column.name}: add one in a migration`);
      });
    checks.set(column.property, check);
  }
  return check;
}

/**
 * The rows of an entity that match `where`: a SQL condition written with column names, which are the
 * snake_case of the properties (`workItemIds` → `work_item_ids && $1::uuid[]`), with `$n` placeholders for
 * `params`. For what `selectRows` cannot say (array overlap, IS NULL, several columns) at the same cost.
 *
 * The statement is cached by the text of `where` (and of a string `order`), so that text must be constant
 * per call site, or one of a few variants chosen by code: values always travel as parameters, never in it.
 * On a table that grows with the plant, give a batch of keys as a computed array
 * (`work_item_ids && ARRAY(SELECT unnest($1::uuid[]))`), as `selectRows` does: a given array of fifty keys can
 * be priced as a quarter of the table and scanned (permits' loader and its plan test).
 */
export function selectRowsWhere<T extends ObjectLiteral>(source: Source, entity: EntityTarget<T>, where: string, params: readonly unknown[], options: WhereOptions<T> = {}): Promise<T[]> {
  const table = tableOf(source, entity);
  const { order, limit, lock } = options;
  const entries = typeof order === 'string' ? null : orderEntries(order);
  const limited = limit !== undefined;
  const sql = cachedSql(table, `where|${where}|${entries ? entries.join(',') : `sql|${order}`}|${limited ? 'limit' : ''}|${lock ? 'lock' : ''}`, () => {
    const by = entries ? orderBy(table, entries) : order ? ` ORDER BY ${order}` : '';
    return `SELECT ${table.selectList} FROM ${table.from} WHERE ${where}${by}${limited ? ` LIMIT $${params.length + 1}` : ''}${lock ? ' FOR UPDATE' : ''}`;
  });
  return source.query(sql, limited ? [...params, limit] : (params as unknown[]));
}

/** One value as JSON: numbers, booleans and dates directly (a row costs 40 % less than through JSON.stringify's generic path). */
function jsonValue(value: unknown): string {
  switch (typeof value) {
    case 'string':
      return JSON.stringify(value);
    case 'number':
      return Number.isFinite(value) ? String(value) : 'null';
    case 'boolean':
      return value ? 'true' : 'false';
  }
  // An invalid date is null, as JSON.stringify writes it.
  if (value instanceof Date) return Number.isNaN(value.getTime()) ? 'null' : `"${value.toISOString()}"`;
  return JSON.stringify(value);
}

/** `jsonb_to_recordset` column definitions and the JSON rows (keyed by column name) for `columns`. */
function recordset(columns: Column[], rows: readonly ObjectLiteral[]) {
  const definitions = columns.map((c) => `${c.name} ${c.type}`).join(', ');
  // Written out directly: half the CPU of building an object per row for JSON.stringify, on the hottest write path.
  let json = '[';
  for (let r = 0; r < rows.length; r++) {
    const row = rows[r];
    for (let i = 0; i < columns.length; i++) {
      const value = row[columns[i].property];
      json += (i ? ',' : r ? ',{' : '{') + columns[i].jsonKey + (value == null ? 'null' : jsonValue(value));
    }
    json += '}';
  }
  return { definitions, json: json + ']' };
}

/**
 * Inserts rows in one statement. Every column is written from the row; a missing value takes the column's
 * default (a generated id, a creation time, a version of 1), so give ids yourself when you need them back.
 */
export async function insertRows<T extends ObjectLiteral>(manager: EntityManager, entity: EntityTarget<T>, rows: readonly Partial<T>[]): Promise<void> {
  if (!rows.length) return;
  const table = tableOf(manager, entity);
  // An increment id is the database's to give.
  const columns = table.columns.filter((c) => !(c.meta.isGenerated && c.meta.generationStrategy === 'increment'));
  const sql = cachedSql(table, 'insert', () => {
    const values = columns.map((c) => {
      const fallback = c.meta.isCreateDate || c.meta.isUpdateDate ? 'now()' : c.meta.isVersion ? '1' : c.meta.isGenerated && c.meta.generationStrategy === 'uuid' ? 'gen_random_uuid()' : manager.connection.driver.normalizeDefault(c.meta);
      return fallback === undefined ? `r.${c.name}` : `COALESCE(r.${c.name}, ${fallback})`;
    });
    return `INSERT INTO ${table.from} (${columns.map((c) => c.name).join(', ')}) SELECT ${values.join(', ')} FROM jsonb_to_recordset($1::jsonb) AS r(${recordset(columns, []).definitions})`;
  });
  await manager.query(sql, [recordset(columns, rows).json]);
}

/**
 * Writes `properties` of rows that exist, in one statement, bumping the version and update time as `save`
 * does; each row gets its new version and update time back.
 */
export async function updateRows<T extends ObjectLiteral>(manager: EntityManager, entity: EntityTarget<T>, rows: readonly T[], properties: readonly (keyof T & string)[]): Promise<void> {
  if (!rows.length) return;
  const table = tableOf(manager, entity);
  const written = properties.map((p) => columnOf(table, p));
  const { primary, version, updatedAt } = table;
  const sql = cachedSql(table, `update|${properties.join(',')}`, () => {
    const sets = written.map((c) => `${c.name} = r.${c.name}`);
    if (version) sets.push(`${version.name} = t.${version.name} + 1`);
    if (updatedAt) sets.push(`${updatedAt.name} = now()`);
    const returning = [primary, version, updatedAt].filter((c): c is Column => c !== null).map((c) => `t.${c.name} AS ${quote(c.property)}`);
    // The keys again as an array: the planner then reads the table by its primary key. With the join alone
    // it guesses 100 rows from the function and, while the table looks small to it, scans all of it.
    return `UPDATE ${table.from} AS t SET ${sets.join(', ')} FROM jsonb_to_recordset($1::jsonb) AS r(${recordset([primary, ...written], []).definitions}) WHERE t.${primary.name} = ANY($2::${primary.type}[]) AND t.${primary.name} = r.${primary.name} RETURNING ${returning.join(', ')}`;
  });
  const returned: ObjectLiteral[] = (await manager.query(sql, [recordset([primary, ...written], rows).json, rows.map((row) => row[primary.property])]))[0];
  const byId = new Map(rows.map((row) => [String(row[primary.property]), row as ObjectLiteral]));
  for (const back of returned) Object.assign(byId.get(String(back[primary.property]))!, back);
}
