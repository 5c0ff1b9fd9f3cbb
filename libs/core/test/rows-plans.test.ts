import { Column, Entity, PrimaryColumn, type DataSource, type MigrationInterface, type QueryRunner } from 'typeorm';
import { dropDatabase, openDatabase, selectRows } from '@opsgraph/core';
import { explainingSource, uniqueDatabase } from '@opsgraph/testing';

/** A meter's readings: many per meter, looked up by meter as a DataLoader or a change set does. */
@Entity('reading')
class Reading {
  @PrimaryColumn('uuid') id: string;
  @Column('uuid', { name: 'meter_id' }) meterId: string;
  @Column('int') value: number;
}

class CreateReadings1700000000900 implements MigrationInterface {
  name = 'CreateReadings1700000000900';
  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE TABLE reading (id uuid PRIMARY KEY, meter_id uuid NOT NULL, value int NOT NULL)`);
    await q.query(`CREATE INDEX reading_meter ON reading (meter_id)`);
  }
  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE reading`);
  }
}

const database = uniqueDatabase('rows');
let db: DataSource;
beforeAll(async () => {
  db = await openDatabase({ database, entities: [Reading], migrations: [CreateReadings1700000000900], poolSize: 2 });
});
afterAll(async () => {
  await db.destroy();
  await dropDatabase(database);
});

test('selectRows reads its keys through the index, however much the table grew since it was analysed', async () => {
  await db.query('VACUUM ANALYZE reading');
  // 20,000 readings since: the planner still believes the table empty and prices each key at its default.
  await db.query(`INSERT INTO reading SELECT gen_random_uuid(), gen_random_uuid(), g FROM generate_series(1, 20000) AS g`);
  const meters: string[] = (await db.query(`SELECT meter_id FROM reading ORDER BY value LIMIT 60`)).map((r: { meter_id: string }) => r.meter_id);

  // The very statement selectRows runs, explained with its parameters.
  const { source, plans } = explainingSource(db);
  await selectRows(source, Reading, 'meterId', meters);
  expect(plans).toHaveLength(1);
  expect(plans[0]).toMatch(/Index Scan (using|on) reading_meter/);
  expect(plans[0]).not.toMatch(/Seq Scan/);

  const rows = await selectRows(db, Reading, 'meterId', meters);
  expect(rows.map((r) => r.value).sort((a, b) => a - b)).toEqual(Array.from({ length: 60 }, (_, i) => i + 1));
});

test('under tests, a read by a column that no index starts with fails, naming the column', async () => {
  // `value` has no index: a loader over it would scan the table at a plant's scale.
  await expect(selectRows(db, Reading, 'value', ['1'])).rejects.toThrow(/Reading is read by value, but no index of "reading" starts with "value"/);
  // Indexed columns and the primary key pass.
  await expect(selectRows(db, Reading, 'meterId', [])).resolves.toEqual([]);
  await expect(selectRows(db, Reading, 'id', ['00000000-0000-4000-8000-000000000001'])).resolves.toEqual([]);
});
