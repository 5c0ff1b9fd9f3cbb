import { KnownLocations1796900000600 } from '@opsgraph/core';
import { inboxMigrations, outboxMigrations } from '@opsgraph/events';
import { Initial1795651557606 } from './1795651557606-Initial';
import { RevisionEditors1796671943972 } from './1796671943972-RevisionEditors';
import { RowLevelSecurity1796900000200 } from './1796900000200-RowLevelSecurity';
import { BlockedWork1797000000800 } from './1797000000800-BlockedWork';

/** Every migration of the documents database, in order. Generate new ones with scripts/generate-migration.ts. */
export const migrations = [...outboxMigrations, ...inboxMigrations, Initial1795651557606, RevisionEditors1796671943972, RowLevelSecurity1796900000200, KnownLocations1796900000600, BlockedWork1797000000800];
