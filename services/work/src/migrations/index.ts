import { outboxMigrations } from '@opsgraph/events';
import { Initial1795649973335 } from './1795649973335-Initial';

/** Every migration of the Work database, in order. Generate new ones with scripts/generate-migration.ts. */
export const migrations = [...outboxMigrations, Initial1795649973335];
