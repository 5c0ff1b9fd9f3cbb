import { KnownLocations1796900000600 } from '@opsgraph/core';
import { inboxMigrations, outboxMigrations } from '@opsgraph/events';
import { Initial1795651532104 } from './1795651532104-Initial';
import { WorkPerformers1796672121775 } from './1796672121775-WorkPerformers';
import { RowLevelSecurity1796900000400 } from './1796900000400-RowLevelSecurity';
import { CapaLoop1797000000700 } from './1797000000700-CapaLoop';

/** Every migration of the compliance database, in order. Generate new ones with scripts/generate-migration.ts. */
export const migrations = [...outboxMigrations, ...inboxMigrations, Initial1795651532104, WorkPerformers1796672121775, RowLevelSecurity1796900000400, KnownLocations1796900000600, CapaLoop1797000000700];
