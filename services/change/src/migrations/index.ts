import { inboxMigrations, outboxMigrations } from '@opsgraph/events';
import { Initial1795651265000 } from './1795651265000-Initial';

/** Every migration of the change database, in order. Generate new ones with scripts/generate-migration.ts. */
export const migrations = [...outboxMigrations, ...inboxMigrations, Initial1795651265000];
