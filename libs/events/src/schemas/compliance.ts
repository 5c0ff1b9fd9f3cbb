import type { DomainContracts } from './common';
import { workContracts } from './work-contracts';

/**
 * Events on `opsgraph.compliance.v1` (Compliance obligations, inspections and findings): the generic work contracts, then the domain's own facts.
 * Adding an event is a change to this file only: append `{ type, version, summary, schema }`.
 */
export const compliance: DomainContracts = [...workContracts];
