import { KnownLocations1796900000600 } from '@opsgraph/core';
import { inboxMigrations, outboxMigrations } from '@opsgraph/events';
import { Initial1795651045288 } from './1795651045288-Initial';
import { KnownWorkItem1795662282108 } from './1795662282108-KnownWorkItem';
import { PermitParticipants1796671813096 } from './1796671813096-PermitParticipants';
import { RowLevelSecurity1796900000200 } from './1796900000200-RowLevelSecurity';
import { Simops1797000000500 } from './1797000000500-Simops';

/** Every migration of the Permits database, in order. Generate new ones with scripts/generate-migration.ts. */
export const migrations = [...outboxMigrations, ...inboxMigrations, Initial1795651045288, KnownWorkItem1795662282108, PermitParticipants1796671813096, RowLevelSecurity1796900000200, KnownLocations1796900000600, Simops1797000000500];
