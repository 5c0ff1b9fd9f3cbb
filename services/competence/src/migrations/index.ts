import { inboxMigrations, outboxMigrations } from '@opsgraph/events';
import { Initial1795651702899 } from './1795651702899-Initial';

/** Every migration of the Competence database, in order. Generate new ones with scripts/generate-migration.ts. */
export const migrations = [...outboxMigrations, ...inboxMigrations, Initial1795651702899];
