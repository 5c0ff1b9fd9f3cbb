import { KnownLocations1796900000600 } from '@opsgraph/core';
import { inboxMigrations, outboxMigrations } from '@opsgraph/events';
import { Initial1795651702899 } from './1795651702899-Initial';
import { RowLevelSecurity1796900000400 } from './1796900000400-RowLevelSecurity';

/** Every migration of the Competence database, in order. Generate new ones with scripts/generate-migration.ts. */
export const migrations = [...outboxMigrations, ...inboxMigrations, Initial1795651702899, RowLevelSecurity1796900000400, KnownLocations1796900000600];
