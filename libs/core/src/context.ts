import type { DataSource } from 'typeorm';
import type { Caller } from './auth';

/**
 * What every resolver receives: who calls, the request id that travels into logs and events, the
 * service's database, and DataLoaders made fresh for this request (so no cache outlives a request).
 */
export interface RequestContext<Loaders = unknown> {
  caller: Caller;
  requestId: string;
  db: DataSource;
  loaders: Loaders;
}
