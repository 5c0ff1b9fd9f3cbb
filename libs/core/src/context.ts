import type { EntityManager } from 'typeorm';
import type { Caller } from './auth';

/**
 * What every resolver receives: who calls, the request id that travels into logs and events, the
 * service's database as the caller (scope enforced by row-level security, see scope.ts), and DataLoaders
 * made fresh for this request (so no cache outlives a request).
 */
export interface RequestContext<Loaders = unknown> {
  caller: Caller;
  requestId: string;
  db: EntityManager;
  loaders: Loaders;
}

/** A federation reference to an entity another subgraph owns: the key is all this service holds. */
export interface EntityRef {
  id: string;
}

/** A reference to an entity by id, or null when there is none: how resolvers point at other domains' records. */
export const entityRef = (id: string | null | undefined): EntityRef | null => (id ? { id } : null);
