import type { EntityManager } from 'typeorm';
import { WorkRequest, type SourceDomain } from '../entities';

/** The `work.requested` events Work has acted on (the producers' idempotency keys and the items they created). */

/** Serialises the handling of one request until the transaction ends (a transaction-scoped advisory lock on its key). */
export async function lockWorkRequest(db: EntityManager, sourceDomain: SourceDomain, requestId: string): Promise<void> {
  await db.query('SELECT pg_advisory_xact_lock(hashtext($1))', [`work_request:${sourceDomain}:${requestId}`]);
}

export function workRequestExists(db: EntityManager, sourceDomain: SourceDomain, requestId: string): Promise<boolean> {
  return db.existsBy(WorkRequest, { sourceDomain, requestId });
}

export async function insertWorkRequest(db: EntityManager, row: Omit<WorkRequest, 'createdAt'>): Promise<void> {
  await db.insert(WorkRequest, row);
}
