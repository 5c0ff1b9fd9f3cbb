import type { Domain } from '../outbox';
import { change } from './change';
import type { DomainContracts } from './common';
import { competence } from './competence';
import { compliance } from './compliance';
import { documents } from './documents';
import { hazards } from './hazards';
import { permits } from './permits';
import { work } from './work';

export * from './common';
export * from './work-contracts';

/** Every event type by domain: the registry producers and consumers validate against. */
export const contractsByDomain: Record<Domain, DomainContracts> = { work, permits, competence, documents, hazards, change, compliance };
export { PERMIT_TYPES, PERMIT_STATUSES, ISOLATION_METHODS, type PermitType } from './permits';
