import { outboxMigrations } from '@opsgraph/events';
import { Initial1795651045288 } from './1795651045288-Initial';

/** Every migration of the Permits database, in order. Generate new ones with scripts/generate-migration.ts. */
export const migrations = [...outboxMigrations, Initial1795651045288];
