import { KnownLocations1796900000600 } from '@opsgraph/core';
import { inboxMigrations, outboxMigrations } from '@opsgraph/events';
import { Initial1795652596904 } from './1795652596904-Initial';
import { ControlsByAssessment1795741058497 } from './1795741058497-ControlsByAssessment';
import { IncidentParticipants1796672233429 } from './1796672233429-IncidentParticipants';
import { RowLevelSecurity1796900000300 } from './1796900000300-RowLevelSecurity';
import { IncidentCapa1797000000600 } from './1797000000600-IncidentCapa';

/** Every migration of the hazards database, in order. Generate new ones with scripts/generate-migration.ts. */
export const migrations = [...outboxMigrations, ...inboxMigrations, Initial1795652596904, ControlsByAssessment1795741058497, IncidentParticipants1796672233429, RowLevelSecurity1796900000300, KnownLocations1796900000600, IncidentCapa1797000000600];
