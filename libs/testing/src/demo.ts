import type { Caller } from '@opsgraph/core';
import { person } from './people';

/**
 * The people of the demo plant. Their ids are the `sub` of their tokens and the ids the competence
 * domain keeps them under, so every domain agrees on who is who.
 */
export const demoPeople = {
  admin: { ...person('d0000000-0000-4000-8000-000000000001', 'administrator'), name: 'Ada Admin' },
  supervisor: { ...person('d0000000-0000-4000-8000-000000000002', 'supervisor'), name: 'Sam Supervisor' },
  technician: { ...person('d0000000-0000-4000-8000-000000000003', 'technician'), name: 'Tom Technician' },
  technician2: { ...person('d0000000-0000-4000-8000-000000000004', 'technician'), name: 'Tina Technician' },
  verifier: { ...person('d0000000-0000-4000-8000-000000000005', 'verifier'), name: 'Vera Verifier' },
  operator: { ...person('d0000000-0000-4000-8000-000000000006', 'operator'), name: 'Olga Operator' },
  permitIssuer: { ...person('d0000000-0000-4000-8000-000000000007', 'permit_issuer'), name: 'Ian Issuer' },
  hse: { ...person('d0000000-0000-4000-8000-000000000008', 'hse'), name: 'Hana HSE' },
  contractor: { ...person('d0000000-0000-4000-8000-000000000009', 'contractor', ['*'], 'Acme Scaffolding'), name: 'Carl Contractor' },
  auditor: { ...person('d0000000-0000-4000-8000-00000000000a', 'auditor'), name: 'Aud Auditor' },
  engineer: { ...person('d0000000-0000-4000-8000-00000000000b', ['supervisor', 'verifier']), name: 'Eli Engineer' },
} satisfies Record<string, Caller>;

/** Ids of the demo plant's registry and work, filled in by the Work part of the seed. */
export interface DemoPlant {
  siteId: string;
  areas: Record<'packaging' | 'utilities' | 'process', string>;
  lines: Record<'line3' | 'line1', string>;
  assets: Record<'pump' | 'vessel' | 'conveyor' | 'boiler' | 'filler', string>;
  /** Work items by a short name, e.g. `sealReplacement`. */
  workItems: Record<string, string>;
}

export interface DemoContext {
  /** GraphQL through the gateway as `caller` (administrator by default); throws on any error. */
  query<T = any>(query: string, variables?: Record<string, unknown>, caller?: Caller): Promise<T>;
  plant: DemoPlant;
  people: typeof demoPeople;
  /** Waits until `check` returns a truthy value (events travel asynchronously). */
  eventually<T>(check: () => Promise<T | null | undefined | false>, timeoutMs?: number): Promise<T>;
  /**
   * Runs a call that names Work's places or work, retried while the service answers that they are not known
   * there yet ("retry shortly": its copy of Work's registry is filled by events, and nothing was written).
   */
  whenKnown<T>(call: () => Promise<T>): Promise<T>;
  log(message: string): void;
}

/** What each service's `demo.ts` exports; the seeder runs them after the Work part, in domain order. */
export type SeedDemo = (ctx: DemoContext) => Promise<void>;
