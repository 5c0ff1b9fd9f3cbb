import { inboxMigrations, outboxMigrations } from '@opsgraph/events';
import { Initial1795649973335 } from './1795649973335-Initial';
import { WorkRequests1795651314772 } from './1795651314772-WorkRequests';
import { DropPrerequisiteItemIndex1795705830075 } from './1795705830075-DropPrerequisiteItemIndex';
import { RowLevelSecurity1796900000100 } from './1796900000100-RowLevelSecurity';
import { PublishLocations1796900000500 } from './1796900000500-PublishLocations';
import { Handovers1797000000100 } from './1797000000100-Handovers';
import { PrerequisiteFacts1797000000200 } from './1797000000200-PrerequisiteFacts';
import { PrerequisiteValidity1797000000900 } from './1797000000900-PrerequisiteValidity';
import { AssetHolds1797000000910 } from './1797000000910-AssetHolds';
import { WorkDetails1797000001000 } from './1797000001000-WorkDetails';

/** Every migration of the Work database, in order. Generate new ones with scripts/generate-migration.ts. */
export const migrations = [...outboxMigrations, ...inboxMigrations, Initial1795649973335, WorkRequests1795651314772, DropPrerequisiteItemIndex1795705830075, RowLevelSecurity1796900000100, PublishLocations1796900000500, Handovers1797000000100, PrerequisiteFacts1797000000200, PrerequisiteValidity1797000000900, AssetHolds1797000000910, WorkDetails1797000001000];
