/**
 * Bulk loading into Postgres: rows go in as JSON arrays through `json_populate_recordset`, a few thousand
 * per statement, so Postgres converts uuid[], text[], jsonb and timestamptz itself and one round trip
 * loads a whole chunk. Only the columns the table really has are written: a column the generator does
 * not know keeps its default, a key the table no longer has is dropped with a warning.
 */
import type { Client } from 'pg';
import type { Row, Table } from './plant';

interface Column {
  name: string;
  nullable: boolean;
  hasDefault: boolean;
}

export async function tableColumns(client: Client, table: string): Promise<Column[]> {
  const { rows } = await client.query(
    `SELECT column_name, is_nullable = 'YES' AS nullable, (column_default IS NOT NULL OR is_identity = 'YES') AS has_default
       FROM information_schema.columns WHERE table_schema = 'public' AND table_name = $1 ORDER BY ordinal_position`,
    [table],
  );
  return rows.map((r: { column_name: string; nullable: boolean; has_default: boolean }) => ({ name: r.column_name, nullable: r.nullable, hasDefault: r.has_default }));
}

const quote = (name: string) => `"${name.replace(/"/g, '""')}"`;

/** Inserts every row of `table`; returns the number of rows written. */
export async function bulkInsert(client: Client, table: string, source: Table, options: { chunk?: number; log?: (msg: string) => void } = {}): Promise<number> {
  const columns = await tableColumns(client, table);
  if (!columns.length) {
    options.log?.(`table ${table} does not exist in this database (its service changed?): skipped`);
    return 0;
  }
  const known = new Set(columns.map((c) => c.name));
  const chunkSize = options.chunk ?? 2000;
  const iterable: Iterable<Row> = typeof source === 'function' ? source() : source;
  let chunk: Row[] = [];
  let total = 0;
  let cols: string[] | null = null;
  const flush = async () => {
    if (!chunk.length) return;
    if (!cols) {
      const keys = new Set<string>();
      for (const row of chunk) for (const key of Object.keys(row)) keys.add(key);
      const dropped = [...keys].filter((k) => !known.has(k));
      if (dropped.length) options.log?.(`${table}: the table has no column ${dropped.join(', ')}: not written`);
      cols = [...keys].filter((k) => known.has(k));
      const missing = columns.filter((c) => !c.nullable && !c.hasDefault && !keys.has(c.name)).map((c) => c.name);
      if (missing.length) throw new Error(`${table}: the seed does not know the required column(s) ${missing.join(', ')}; update bench/lib/plant.ts`);
    }
    const list = cols.map(quote).join(', ');
    await client.query(`INSERT INTO public.${quote(table)} (${list}) SELECT ${list} FROM json_populate_recordset(NULL::public.${quote(table)}, $1::json)`, [JSON.stringify(chunk)]);
    total += chunk.length;
    chunk = [];
  };
  for (const row of iterable) {
    chunk.push(row);
    if (chunk.length >= chunkSize) await flush();
  }
  await flush();
  return total;
}
