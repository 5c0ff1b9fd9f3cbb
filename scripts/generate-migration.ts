/**
 * Writes a TypeORM migration for what a service's entities add over its current migrations:
 *   pnpm tsx scripts/generate-migration.ts work AddShiftLog
 * It migrates a scratch database, diffs it against the entities and writes src/migrations/<ts>-<Name>.ts.
 */
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { createDataSource, dropDatabase, openDatabase } from '@opsgraph/core';

async function main() {
  const [service, name] = process.argv.slice(2);
  if (!service || !name) throw new Error('usage: generate-migration.ts <service> <MigrationName>');
  const dir = path.join(__dirname, '..', 'services', service, 'src');
  const definition = (await import(path.join(dir, 'service.ts'))).service;
  const database = `scratch_${service}_${Date.now()}`;
  const migrated = await openDatabase({ database, entities: definition.entities, migrations: definition.migrations });
  await migrated.destroy();
  const db = createDataSource({ database, entities: definition.entities, migrations: [] });
  await db.initialize();
  const sql = await db.driver.createSchemaBuilder().log();
  await db.destroy();
  await dropDatabase(database);
  if (!sql.upQueries.length) return console.log('entities match the migrations: nothing to generate');
  const ts = Date.now();
  const esc = (q: string) => q.replace(/\\/g, '\\\\').replace(/`/g, '\\`').replace(/\$\{/g, '\\${');
  const up = sql.upQueries.map((q) => `    await q.query(\`${esc(q.query)}\`);`).join('\n');
  const down = sql.downQueries.reverse().map((q) => `    await q.query(\`${esc(q.query)}\`);`).join('\n');
  const file = path.join(dir, 'migrations', `${ts}-${name}.ts`);
  writeFileSync(file, `import type { MigrationInterface, QueryRunner } from 'typeorm';

export class ${name}${ts} implements MigrationInterface {
  name = '${name}${ts}';

  async up(q: QueryRunner): Promise<void> {
${up}
  }

  async down(q: QueryRunner): Promise<void> {
${down}
  }
}
`);
  console.log(`wrote ${path.relative(process.cwd(), file)}`);
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
