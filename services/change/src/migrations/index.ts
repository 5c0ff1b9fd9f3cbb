import { KnownLocations1796900000600 } from '@opsgraph/core';
import { inboxMigrations, outboxMigrations } from '@opsgraph/events';
import { Initial1795651265000 } from './1795651265000-Initial';
import { RowLevelSecurity1796900000300 } from './1796900000300-RowLevelSecurity';
import { StartupAuthorization1797000000300 } from './1797000000300-StartupAuthorization';
import { TaskOutcome1797000000400 } from './1797000000400-TaskOutcome';
import { TrackedPunchItems1797000001100 } from './1797000001100-TrackedPunchItems';

/** Every migration of the change database, in order. Generate new ones with scripts/generate-migration.ts. */
export const migrations = [...outboxMigrations, ...inboxMigrations, Initial1795651265000, RowLevelSecurity1796900000300, KnownLocations1796900000600, StartupAuthorization1797000000300, TaskOutcome1797000000400, TrackedPunchItems1797000001100];
