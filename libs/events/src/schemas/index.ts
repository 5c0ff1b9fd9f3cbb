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
// Each domain's enums, payload types and request-id helpers: one public entry, no deep imports.
export * from './change';
export * from './competence';
export * from './compliance';
export * from './documents';
export * from './hazards';
export * from './permits';
export * from './work';

/** Every event type by domain: the registry producers and consumers validate against. */
export const contractsByDomain: Record<Domain, DomainContracts> = { work, permits, competence, documents, hazards, change, compliance };
