import { badInput, decodeCursor, encodeCursor, isContractorOnly, notFound, oneOf, optionalUuid, pageSize, requireText, requireUuid, toConnection, type Caller, type Connection } from '@opsgraph/core';
import { PERMIT_TYPES, type PermitType } from '@opsgraph/events/src/schemas/permits';
import { Brackets, type EntityManager, type SelectQueryBuilder } from 'typeorm';
import { PERMIT_STATUSES, Permit, type PermitStatus } from '../entities';
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

/** The SQL form of permitVisible: the caller's sites, and for a contractor the permits they asked for or accepted. */
function applyScope(q: SelectQueryBuilder<Permit>, caller: Caller) {
  if (!caller.sites.includes('*')) q.andWhere('p.siteId IN (:...scopeSites)', { scopeSites: caller.sites.length ? caller.sites : ['00000000-0000-0000-0000-000000000000'] });
  if (isContractorOnly(caller)) q.andWhere(new Brackets((b) => b.where('p.requesterId = :me', { me: caller.id }).orWhere('p.performingAuthorityId = :me')));
  return q;
}

export async function getPermit(db: EntityManager, caller: Caller, id: string): Promise<Permit> {
  const permit = await db.getRepository(Permit).findOneBy({ id: requireUuid(id) });
  if (!permit || !permitVisible(caller, permit)) throw notFound('permit', id);
  return permit;
}

export async function getPermitByNumber(db: EntityManager, caller: Caller, number: string): Promise<Permit> {
  const value = requireText(number, 'number', { max: 40 }).toUpperCase();
  const permit = await db.getRepository(Permit).findOneBy({ number: value });
  if (!permit || !permitVisible(caller, permit)) throw notFound('permit', value);
  return permit;
}

/** Newest first, keyset-paginated on (createdAt, id); only permits the caller may see. */
export async function listPermits(db: EntityManager, caller: Caller, filter: PermitFilter | null | undefined, first?: number | null, after?: string | null): Promise<Connection<Permit>> {
  const f = filter ?? {};
  const limit = pageSize(first);
  const cursor = decodeCursor(after, 2);
  const base = applyScope(db.getRepository(Permit).createQueryBuilder('p'), caller);
  const siteId = optionalUuid(f.siteId, 'filter.siteId');
  const areaId = optionalUuid(f.areaId, 'filter.areaId');
  const workItemId = optionalUuid(f.workItemId, 'filter.workItemId');
  const assetId = optionalUuid(f.assetId, 'filter.assetId');
  if (siteId) base.andWhere('p.siteId = :siteId', { siteId });
  if (areaId) base.andWhere('p.areaId = :areaId', { areaId });
  if (f.requesterId) base.andWhere('p.requesterId = :requesterId', { requesterId: requireUuid(f.requesterId, 'filter.requesterId') });
  if (f.status?.length) base.andWhere('p.status IN (:...status)', { status: f.status.map((s) => oneOf(PERMIT_STATUSES, s, 'filter.status')) });
  if (f.type?.length) base.andWhere('p.type IN (:...type)', { type: f.type.map((t) => oneOf(PERMIT_TYPES, t, 'filter.type')) });
  if (workItemId) base.andWhere('p.workItemIds @> ARRAY[CAST(:workItemId AS uuid)]', { workItemId });
  if (assetId) base.andWhere('p.assetIds @> ARRAY[CAST(:assetId AS uuid)]', { assetId });
  const page = base.clone().orderBy('p.createdAt', 'DESC').addOrderBy('p.id', 'DESC').limit(limit + 1);
  if (cursor) {
    const [createdAt, id] = cursor;
    if (typeof createdAt !== 'string' || typeof id !== 'string' || Number.isNaN(Date.parse(createdAt))) throw badInput('after is not a valid cursor', { field: 'after' });
    page.andWhere('(p.createdAt, p.id) < (:createdAt, :id)', { createdAt, id: requireUuid(id, 'after') });
  }
  const [rows, total] = await Promise.all([page.getMany(), base.getCount()]);
  return toConnection(rows, limit, total, (p) => encodeCursor([p.createdAt.toISOString(), p.id]));
}
