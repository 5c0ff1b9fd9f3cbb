import { badInput, decodeCursor, encodeCursor, notFound, oneOf, optionalUuid, pageSize, requireText, requireUuid, toConnection, type Caller, type Connection } from '@opsgraph/core';
import { PERMIT_TYPES, type PermitType } from '@opsgraph/events';
import type { EntityManager } from 'typeorm';
import { PERMIT_STATUSES, type Permit, type PermitStatus } from '../entities';
import { permitById, permitByNumber, permitsPage } from '../store/permits';
import { permitVisible } from './permits';

export interface PermitFilter {
  siteId?: string | null;
  areaId?: string | null;
  status?: PermitStatus[] | null;
  type?: PermitType[] | null;
  workItemId?: string | null;
  assetId?: string | null;
  requesterId?: string | null;
}

export async function getPermit(db: EntityManager, caller: Caller, id: string): Promise<Permit> {
  const permit = await permitById(db, requireUuid(id));
  if (!permit || !permitVisible(caller, permit)) throw notFound('permit', id);
  return permit;
}

export async function getPermitByNumber(db: EntityManager, caller: Caller, number: string): Promise<Permit> {
  const value = requireText(number, 'number', { max: 40 }).toUpperCase();
  const permit = await permitByNumber(db, value);
  if (!permit || !permitVisible(caller, permit)) throw notFound('permit', value);
  return permit;
}

/** Newest first, keyset-paginated on (createdAt, id); only permits the caller may see. */
export async function listPermits(db: EntityManager, caller: Caller, filter: PermitFilter | null | undefined, first?: number | null, after?: string | null): Promise<Connection<Permit>> {
  const f = filter ?? {};
  const limit = pageSize(first);
  const cursor = decodeCursor(after, 2);
  const conditions = {
    siteId: optionalUuid(f.siteId, 'filter.siteId'),
    areaId: optionalUuid(f.areaId, 'filter.areaId'),
    workItemId: optionalUuid(f.workItemId, 'filter.workItemId'),
    assetId: optionalUuid(f.assetId, 'filter.assetId'),
    requesterId: f.requesterId ? requireUuid(f.requesterId, 'filter.requesterId') : undefined,
    status: f.status?.length ? f.status.map((s) => oneOf(PERMIT_STATUSES, s, 'filter.status')) : undefined,
    type: f.type?.length ? f.type.map((t) => oneOf(PERMIT_TYPES, t, 'filter.type')) : undefined,
  };
  let position: { createdAt: string; id: string } | undefined;
  if (cursor) {
    const [createdAt, id] = cursor;
    if (typeof createdAt !== 'string' || typeof id !== 'string' || Number.isNaN(Date.parse(createdAt))) throw badInput('after is not a valid cursor', { field: 'after' });
    position = { createdAt, id: requireUuid(id, 'after') };
  }
  const [rows, total] = await permitsPage(db, caller, conditions, limit, position);
  return toConnection(rows, limit, total, (p) => encodeCursor([p.createdAt.toISOString(), p.id]));
}
