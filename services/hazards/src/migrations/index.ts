import { inboxMigrations, outboxMigrations } from '@opsgraph/events';
import { Initial1795652596904 } from './1795652596904-Initial';
import { ControlsByAssessment1795741058497 } from './1795741058497-ControlsByAssessment';
import { IncidentParticipants1796672233429 } from './1796672233429-IncidentParticipants';

/** Every migration of the hazards database, in order. Generate new ones with scripts/generate-migration.ts. */
export const migrations = [...outboxMigrations, ...inboxMigrations, Initial1795652596904, ControlsByAssessment1795741058497, IncidentParticipants1796672233429];
