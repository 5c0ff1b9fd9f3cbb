import { isContractorOnly, loaderBy, loaderGrouped, selectRowsWhere, type Caller } from '@opsgraph/core';
import type { PermitType } from '@opsgraph/events';
import { Brackets, type EntityManager, type SelectQueryBuilder } from 'typeorm';
import { FINAL_STATUSES, Permit, PermitTransition, type PermitStatus } from '../entities';

/**
 * Permits and their append-only history (transitions): lookups, the filtered and keyset-paginated list,
 * the permits covering work items, the locked reads of a change and of the time-driven rules, the
 * per-site numbering and the writes.
 *
 * The list keeps the caller to their sites and, for a contractor, to the permits they asked for or
 * accepted (`applyScope`), on top of row-level security.
 */

/** A filter on permits with its values already checked (`listPermits` in domain/queries.ts). */
export interface PermitConditions {
  siteId?: string;
  areaId?: string;
  requesterId?: string;
  status?: PermitStatus[];
  type?: PermitType[];
  workItemId?: string;
  assetId?: string;
}

/** The SQL form of permitVisible: the caller's sites, and for a contractor the permits they asked for or accepted. */
function applyScope(q: SelectQueryBuilder<Permit>, caller: Caller) {
  if (!caller.sites.includes('*')) q.andWhere('p.siteId IN (:...scopeSites)', { scopeSites: caller.sites.length ? caller.sites : ['00000000-0000-0000-0000-000000000000'] });
  if (isContractorOnly(caller)) q.andWhere(new Brackets((b) => b.where('p.requesterId = :me', { me: caller.id }).orWhere('p.performingAuthorityId = :me')));
  return q;
}

// ---------- lookups ----------

export function permitById(db: EntityManager, id: string): Promise<Permit | null> {
  return db.getRepository(Permit).findOneBy({ id });
}

export function permitByNumber(db: EntityManager, number: string): Promise<Permit | null> {
  return db.getRepository(Permit).findOneBy({ number });
}

// ---------- the list ----------

/**
 * A page of the filtered list, newest first, keyset-paginated on (createdAt, id) after `cursor`, with one row
 * more than `limit` (whether a next page exists), and the filter's total count: two statements.
 */
export function permitsPage(
  db: EntityManager,
  caller: Caller,
  filter: PermitConditions,
  limit: number,
  cursor: { createdAt: string; id: string } | undefined,
): Promise<[Permit[], number]> {
  const base = applyScope(db.getRepository(Permit).createQueryBuilder('p'), caller);
  if (filter.siteId) base.andWhere('p.siteId = :siteId', { siteId: filter.siteId });
  if (filter.areaId) base.andWhere('p.areaId = :areaId', { areaId: filter.areaId });
  if (filter.requesterId) base.andWhere('p.requesterId = :requesterId', { requesterId: filter.requesterId });
  if (filter.status?.length) base.andWhere('p.status IN (:...status)', { status: filter.status });
  if (filter.type?.length) base.andWhere('p.type IN (:...type)', { type: filter.type });
  if (filter.workItemId) base.andWhere('p.workItemIds @> ARRAY[CAST(:workItemId AS uuid)]', { workItemId: filter.workItemId });
  if (filter.assetId) base.andWhere('p.assetIds @> ARRAY[CAST(:assetId AS uuid)]', { assetId: filter.assetId });
  const page = base.clone().orderBy('p.createdAt', 'DESC').addOrderBy('p.id', 'DESC').limit(limit + 1);
  if (cursor) page.andWhere('(p.createdAt, p.id) < (:createdAt, :id)', { createdAt: cursor.createdAt, id: cursor.id });
  return Promise.all([page.getMany(), base.getCount()]);
}

// ---------- what the per-request loaders batch ----------

export const permitLoader = (db: EntityManager) => loaderBy(db, Permit);
export const historyOfPermitLoader = (db: EntityManager) => loaderGrouped(db, PermitTransition, 'permitId', { id: 'ASC' });

/**
 * Permits covering any of these work items, newest first: one statement (GIN overlap) for a whole list. The
 * ids go in as a computed array: Postgres prices an overlap with fifty given ids as a quarter of the table
 * and scans it (test/plans.test.ts).
 */
export function permitsOfWorkItems(db: EntityManager, workItemIds: readonly string[]): Promise<Permit[]> {
  return selectRowsWhere(db, Permit, 'work_item_ids && ARRAY(SELECT unnest($1::uuid[]))', [workItemIds], { order: { createdAt: 'DESC' } });
}

/** Permits that ended (closed, cancelled, expired) covering any of a permit's work items, other than it, by number. */
export function endedPermitsOverlapping(db: EntityManager, permit: Pick<Permit, 'id' | 'workItemIds'>): Promise<Permit[]> {
  return db
    .createQueryBuilder(Permit, 'p')
    .where('p.workItemIds && CAST(:ids AS uuid[])', { ids: permit.workItemIds })
    .andWhere('p.status IN (:...final)', { final: FINAL_STATUSES })
    .andWhere('p.id <> :id', { id: permit.id })
    .orderBy('p.number')
    .getMany();
}

// ---------- locked reads ----------

/** A permit locked for change (`FOR UPDATE`), so concurrent changes queue; null when it does not exist. */
export function lockPermit(db: EntityManager, id: string): Promise<Permit | null> {
  return db.findOne(Permit, { where: { id }, lock: { mode: 'pessimistic_write' } });
}

/** A locking read of the time-driven rules: rows other transactions hold are skipped (SKIP LOCKED), earliest end first. */
const dueForUpdate = (db: EntityManager) => db.createQueryBuilder(Permit, 'p').setLock('pessimistic_write').setOnLocked('skip_locked');

/** Locks (SKIP LOCKED) up to `limit` permits short of closed/cancelled whose validity window has passed, earliest end first. */
export function lockExpiredPermits(db: EntityManager, now: Date, limit: number): Promise<Permit[]> {
  return dueForUpdate(db)
    .where('p.status NOT IN (:...final)', { final: FINAL_STATUSES })
    .andWhere('p.validTo <= :now', { now })
    .orderBy('p.validTo', 'ASC')
    .limit(limit)
    .getMany();
}

/** Locks (SKIP LOCKED) up to `limit` issued confined-space permits whose latest gas test has run out, earliest end first. */
export function lockPermitsWithStaleGasTests(db: EntityManager, now: Date, limit: number): Promise<Permit[]> {
  return dueForUpdate(db)
    .where('p.status = :issued', { issued: 'ISSUED' })
    .andWhere('p.type = :type', { type: 'CONFINED_SPACE' })
    .andWhere('(SELECT g.expires_at FROM gas_test g WHERE g.permit_id = p.id ORDER BY g.tested_at DESC, g.created_at DESC LIMIT 1) <= :now', { now })
    .orderBy('p.validTo', 'ASC')
    .limit(limit)
    .getMany();
}

// ---------- numbering ----------

/**
 * Takes the site's next permit number: with a code, learns the site (its first permit) or counts up; without,
 * counts up a known site only. The site's code and the number, or undefined for a site not known yet.
 */
export async function takePermitNumber(db: EntityManager, siteId: string, siteCode: string | null): Promise<{ code: string; last_number: number } | undefined> {
  const rows: unknown[] = siteCode
    ? await db.query(
        `INSERT INTO permit_site (site_id, code, last_number) VALUES ($1, $2, 1)
         ON CONFLICT (site_id) DO UPDATE SET last_number = permit_site.last_number + 1 RETURNING code, last_number`,
        [siteId, siteCode],
      )
    : await db.query('UPDATE permit_site SET last_number = last_number + 1 WHERE site_id = $1 RETURNING code, last_number', [siteId]);
  // TypeORM returns [rows, count] for UPDATE ... RETURNING on Postgres, the rows for INSERT.
  return (Array.isArray(rows[0]) ? rows[0][0] : rows[0]) as { code: string; last_number: number } | undefined;
}

// ---------- writes ----------

/** A new permit, with the database's id and times on the returned entity. */
export async function insertPermit(db: EntityManager, fields: Partial<Permit>): Promise<Permit> {
  const permit = db.create(Permit, fields);
  await db.save(permit);
  return permit;
}

export async function savePermit(db: EntityManager, permit: Permit): Promise<void> {
  await db.save(permit);
}

// ---------- history ----------

/** The transitions of a permit into a status, oldest first. */
export function transitionsOfPermitTo(db: EntityManager, permitId: string, toStatus: PermitStatus): Promise<PermitTransition[]> {
  return db.find(PermitTransition, { where: { permitId, toStatus }, order: { id: 'ASC' } });
}

/** A history entry; returns its id. */
export async function insertPermitTransition(db: EntityManager, row: Partial<PermitTransition>): Promise<string> {
  const { identifiers } = await db.insert(PermitTransition, row);
  return String(identifiers[0].id);
}
