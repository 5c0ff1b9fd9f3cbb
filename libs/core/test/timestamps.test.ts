import { createRequire } from 'node:module';
import { Client } from 'pg';
import { postgresConfig } from '@opsgraph/core';

/**
 * libs/core reads timestamptz through V8's ISO parser (faster than pg's default); every value Postgres can
 * write must come back as the same Date (or infinity) as with pg's own parser, whatever the session's zone.
 */
const VALUES = [
  '2026-11-26 06:57:13.261+00',
  '2026-11-26 06:57:13+00',
  '2026-11-26 06:57:13.261123+00',
  '2026-11-26 06:57:13.9999995+00', // rounded to microseconds by Postgres
  '2024-02-29 23:59:59.5-03',
  '1999-01-08 04:05:06+05:30',
  '1900-01-01 00:00:00+00',
  '0099-01-01 00:00:00+00',
  '0044-03-15 12:00:00+00 BC',
  '20260-01-01 00:00:00+00',
  'infinity',
  '-infinity',
];

let client: Client;
beforeAll(async () => {
  client = new Client({ ...postgresConfig(), database: 'postgres' });
  await client.connect();
});
afterAll(() => client.end());

test.each(['UTC', 'Asia/Kolkata', 'America/St_Johns', 'Europe/Amsterdam'])('timestamptz values read as pg reads them (session zone %s)', async (zone) => {
  await client.query(`SET TIME ZONE '${zone}'`);
  const { rows } = await client.query<{ value: Date | number; text: string }>('SELECT v::timestamptz AS value, v::timestamptz::text AS text FROM unnest($1::text[]) AS v', [VALUES]);
  // pg's parser (postgres-date), the one libs/core replaces, on the very text Postgres wrote.
  const fromPg = createRequire(require.resolve('pg'));
  const reference = createRequire(fromPg.resolve('pg-types'))('postgres-date') as (text: string) => Date | number;
  for (const { value, text } of rows) {
    const expected = reference(text);
    const asNumber = (v: Date | number) => (v instanceof Date ? v.getTime() : v);
    expect({ text, value: asNumber(value) }).toEqual({ text, value: asNumber(expected) });
    if (expected instanceof Date) expect(value).toBeInstanceOf(Date);
  }
});
