import type { DataSource } from 'typeorm';
import { SUBGRAPH_PORTS, checkConfiguration, envInt, type SubgraphName } from './config';
import { openDatabase, type DataSourceOptions } from './db';
import { logger } from './logger';
import { registerPoolMetrics } from './metrics';
import { atMost, startScheduler, type Schedule } from './scheduler';
import { createSubgraph, type HttpApp, type SubgraphOptions } from './server';
import { startTracing } from './tracing';

export interface ServiceDefinition<Loaders> {
  name: SubgraphName;
  schemaPath: string;
  resolvers: object;
  entities: DataSourceOptions['entities'];
  migrations: DataSourceOptions['migrations'];
  createLoaders: SubgraphOptions<Loaders>['createLoaders'];
  /** Background work the service runs beside its graph (event relay, consumers). */
  background?: (db: DataSource) => Promise<{ stop(): Promise<void> }[]>;
  /** Its time-driven rules: run every interval, and on demand by an administrator (`run<Service>Schedules`). */
  schedules?: (db: DataSource) => Schedule[];
}

/** The database name of a service: one database per service on the shared server. */
export const databaseName = (service: string) => `${process.env.OPSGRAPH_DB_PREFIX ?? 'opsgraph'}_${service}`;

export interface RunningService {
  db: DataSource;
  app: HttpApp;
  stop(): Promise<void>;
}

/** Opens the service's own database (migrated), serves its subgraph and starts its background work. */
export async function startService<Loaders>(
  definition: ServiceDefinition<Loaders>,
  options: { port?: number; database?: string } = {},
): Promise<RunningService> {
  // First, so the service's requests, SQL and events are traced from the start (a no-op when OPSGRAPH_TRACING is off).
  checkConfiguration('service');
  const tracing = startTracing(definition.name);
  const db = await openDatabase({
    database: options.database ?? databaseName(definition.name),
    entities: definition.entities,
    migrations: definition.migrations,
    poolSize: envInt('OPSGRAPH_PG_POOL', 10),
  }).catch(async (err) => {
    await tracing.shutdown();
    throw err;
  });
  registerPoolMetrics(definition.name, db);
  // The rules first (stopped first, before the relay and consumers they feed).
  const schedules = (definition.schedules?.(db) ?? []).map((s) => startScheduler(s.name, s.intervalMs, s.rule));
  const subgraph = createSubgraph({ ...definition, db, schedules });
  const port = options.port ?? envInt(`OPSGRAPH_${definition.name.toUpperCase()}_PORT`, SUBGRAPH_PORTS[definition.name]);
  const app = await subgraph.listen(port, process.env.OPSGRAPH_HOST);
  const background = definition.background ? await definition.background(db) : [];
  let stopped = false;
  return {
    db,
    app,
    async stop() {
      if (stopped) return;
      stopped = true;
      await app.close();
      for (const task of [...schedules, ...background]) await atMost(task.stop(), 10_000, `${definition.name} background task`);
      await atMost(db.destroy(), 10_000, `${definition.name} database pool`);
      // Last: flushes the spans of everything above.
      await atMost(tracing.shutdown(), 10_000, `${definition.name} tracing`);
    },
  };
}

/** Entry point of a service process: start, and shut down gracefully on SIGTERM/SIGINT. */
export async function runService<Loaders>(definition: ServiceDefinition<Loaders>): Promise<void> {
  process.env.OPSGRAPH_SERVICE ??= definition.name;
  let running: RunningService;
  try {
    running = await startService(definition);
  } catch (err) {
    // A process that cannot start says why in plain words (a wrong setting, no database) and exits non-zero.
    logger.fatal({ err }, 'could not start');
    process.stderr.write(`${definition.name} could not start: ${(err as Error).message}\n`);
    process.exit(1);
  }
  const shutdown = async (signal: string) => {
    logger.info({ signal, service: definition.name }, 'shutting down');
    await running.stop().catch((err) => logger.error({ err }, 'shutdown failed'));
    process.exit(0);
  };
  process.once('SIGTERM', () => void shutdown('SIGTERM'));
  process.once('SIGINT', () => void shutdown('SIGINT'));
}
