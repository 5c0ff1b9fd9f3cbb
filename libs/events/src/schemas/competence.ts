import type { DomainContracts } from './common';
import { workContracts } from './work-contracts';

/**
 * Events on `opsgraph.competence.v1` (Competence (qualifications, training, authorisations)): the generic work contracts, then the domain's own facts.
 * Adding an event is a change to this file only: append `{ type, version, summary, schema }`.
 */
export const competence: DomainContracts = [...workContracts];
