import {
  DomainError,
  ErrorCode,
  badInput,
  decodeCursor,
  encodeCursor,
  forbidden,
  isContractorOnly,
  notFound,
  optionalUuid,
  pageSize,
  requireUuid,
  OPEN_WORK_STATUSES,
  requestedWorkStatus,
  toConnection,
  unknownLocation,
  type Caller,
  type TrackedWorkItem,
  type EntityRef,
  type RequestedWorkStatus,
} from '@opsgraph/core';
import type { EntityManager } from 'typeorm';
import type { ChangeRequest, PreStartupCheck, ChangeStatus, ChangeType } from '../entities';
import { changeById, changeRequestsPage, changesBlockingRestart } from '../store/changes';
import { checksOfChanges } from '../store/checks';
import { tasksOfChanges } from '../store/tasks';
import { openCategoryAPunchItems } from '../store/punch-items';
import { knownLocationsByCode, knownLocationsById, placesOfAssets, trackedWorkOfRequests } from '../store/tracked-work';
import { STARTUP_AUTHORIZERS } from './changes';
import { canSee, changeNumber, workStatusAsOf } from './context';
import { CHANGE_PERMISSIONS } from './permissions';

export async function getChangeRequest(db: EntityManager, caller: Caller, id: string): Promise<ChangeRequest> {
  const change = await changeById(db, requireUuid(id));
  if (!change || !canSee(caller, change)) throw notFound('change request', id);
  return change;
}

export interface ChangeRequestFilter {
  siteId?: string | null;
  status?: ChangeStatus[] | null;
  type?: ChangeType | null;
  assetId?: string | null;
}

/** Newest first, keyset-paginated on the change number; only changes at the caller's sites. */
export async function listChangeRequests(db: EntityManager, caller: Caller, filter: ChangeRequestFilter | null | undefined, first?: number | null, after?: string | null) {
  const limit = pageSize(first);
  const cursor = decodeCursor(after, 1);
  const siteId = optionalUuid(filter?.siteId, 'filter.siteId');
  const assetId = optionalUuid(filter?.assetId, 'filter.assetId');
  const [rows, totalCount] = await changeRequestsPage(db, caller, { siteId, assetId, status: filter?.status, type: filter?.type }, limit, cursor ? Number(cursor[0]) : undefined);
  return toConnection(rows, limit, totalCount, (c) => encodeCursor([c.seq]));
}

// ---------- "may we restart?" ----------

export interface Place {
  areaId: string | null;
  lineId: string | null;
}

/**
 * Whether something located at `place` stands in the way of a restart of the asked area/line: given an
 * area only, anything in it; a line only, anything on it; both, anything on the line or area-wide.
 */
export function concerns(asked: Place, place: Place): boolean {
  if (asked.lineId && asked.areaId) return place.lineId === asked.lineId || (place.areaId === asked.areaId && !place.lineId);
  if (asked.lineId) return place.lineId === asked.lineId;
  return place.areaId === asked.areaId;
}

export interface RestartBlocker {
  kind: 'PRE_STARTUP_CHECK_OPEN' | 'CHANGE_IN_PROGRESS' | 'AWAITING_STARTUP_AUTHORIZATION' | 'OPEN_PUNCH_ITEM_A';
  description: string;
  /** Null for a punch item: it stands in the way whatever change there is. */
  change: ChangeRequest | null;
  check: PreStartupCheck | null;
  workItem: EntityRef | null;
  workStatus: RequestedWorkStatus | null;
  /** When Work's last event about the work item reached this domain: the status is as of then. */
  workStatusAsOf: Date | null;
  /** Who may clear it: the roles that may authorize start-up (AWAITING_STARTUP_AUTHORIZATION only). */
  authorizerRoles: string[];
}

/** "May we restart?" asked by ids or, as a plant asks it, by the codes of a line or area within a site. */
export interface RestartQuestion {
  siteId?: string | null;
  areaId?: string | null;
  lineId?: string | null;
  areaCode?: string | null;
  lineCode?: string | null;
}

const code = (value: string | null | undefined, field: string) => {
  if (value === undefined || value === null) return null;
  const trimmed = value.trim();
  if (!trimmed || trimmed.length > 50) throw badInput(`${field} must be a location code of 1 to 50 characters`, { field });
  return trimmed;
};

/** The answer for a code nothing known here carries: the same whether it is another site's or no one's. */
const unknownCode = (kind: 'area' | 'line', value: string, field: string) =>
  new DomainError(ErrorCode.NOT_FOUND, `${kind} ${value} not found at this site (one registered in Work a moment ago may not be known here yet: retry shortly)`, { field });

/**
 * Resolves the asked place against the copy of Work's registry, in the caller's scope (row-level security): ids
 * must be known and of the site when one is given; codes are looked up within the site (a line's code within
 * the area when an area is named, since Work keeps line codes unique per area). Unknown, another site's or out
 * of scope: NOT_FOUND, the same as a random id or code.
 */
async function resolvePlace(db: EntityManager, question: RestartQuestion): Promise<Place & { siteId: string | null }> {
  const siteId = optionalUuid(question.siteId, 'siteId') ?? null;
  let areaId = optionalUuid(question.areaId, 'areaId') ?? null;
  let lineId = optionalUuid(question.lineId, 'lineId') ?? null;
  const areaCode = code(question.areaCode, 'areaCode');
  const lineCode = code(question.lineCode, 'lineCode');
  if (areaId && areaCode) throw badInput('name the area by its id or its code, not both', { field: 'areaCode' });
  if (lineId && lineCode) throw badInput('name the line by its id or its code, not both', { field: 'lineCode' });
  if (!areaId && !lineId && !areaCode && !lineCode) throw badInput('name an area or a line (or both), by id or by code within a site', { field: 'areaId' });
  if ((areaCode || lineCode) && !siteId) throw badInput('a code names an area or line within a site: give siteId too', { field: 'siteId' });
  if (siteId) {
    const [site] = await knownLocationsById(db, [siteId], 'SITE');
    if (!site) throw unknownLocation('SITE', siteId, 'siteId');
  }
  const byId = async (kind: 'AREA' | 'LINE', id: string, field: string) => {
    const [row] = await knownLocationsById(db, [id], kind);
    if (!row || (siteId && row.siteId !== siteId)) throw unknownLocation(kind, id, field);
    return row;
  };
  if (areaId) await byId('AREA', areaId, 'areaId');
  if (areaCode) {
    const [area] = await knownLocationsByCode(db, siteId!, 'AREA', areaCode);
    if (!area) throw unknownCode('area', areaCode, 'areaCode');
    areaId = area.id;
  }
  let lineArea: string | null = null;
  if (lineId) lineArea = (await byId('LINE', lineId, 'lineId')).areaId;
  if (lineCode) {
    const lines = (await knownLocationsByCode(db, siteId!, 'LINE', lineCode)).filter((l) => !areaId || l.areaId === areaId);
    if (!lines.length) throw unknownCode('line', lineCode, 'lineCode');
    if (lines.length > 1) throw badInput(`line code ${lineCode} names lines in ${lines.length} areas of this site: give the area's code too`, { field: 'lineCode' });
    lineId = lines[0].id;
    lineArea = lines[0].areaId;
  }
  if (lineId && areaId && lineArea !== areaId) throw badInput('the line is not in the given area', { field: lineCode ? 'lineCode' : 'lineId' });
  return { siteId, areaId, lineId };
}

const stageOf: Partial<Record<ChangeStatus, string>> = { IMPLEMENTING: 'is being implemented', PRE_STARTUP_REVIEW: 'is in its pre-startup safety review' };

/** The roles that may authorize start-up (administrators too, as everywhere). */
const AUTHORIZER_ROLES: string[] = [...CHANGE_PERMISSIONS.authorizeStartup];

const trackedAsOf = (work: TrackedWorkItem | undefined) => work?.lastEventAt ?? null;

/**
 * Answers "may production restart here?": no while a change in scope is implementing or in pre-startup
 * review: while any of its pre-startup checks is not verified done, and then until start-up is authorized
 * (`authorizeStartup`), which the answer says, with who may give it. Statuses of work items are Work's as of
 * the last event this domain received. A fixed number of statements whatever the number of changes and checks.
 */
export async function restartReadiness(db: EntityManager, caller: Caller, question: RestartQuestion) {
  // A contractor sees only the changes behind their company's jobs (row-level security): an answer from those
  // alone could say "yes" where another change stands in the way, so they get none.
  if (isContractorOnly(caller)) throw forbidden('"may we restart?" is answered to the site\'s own people, not to a contractor');
  const resolved = await resolvePlace(db, question);
  const asked: Place = { areaId: resolved.areaId, lineId: resolved.lineId };
  const changes = (await changesBlockingRestart(db)).filter((c) => canSee(caller, c));
  const ids = changes.map((c) => c.id);
  const [checks, tasks] = ids.length
    ? await Promise.all([
        checksOfChanges(db, ids),
        tasksOfChanges(db, ids),
      ])
    : [[], []];
  const requestIds = [...checks, ...tasks].map((r) => r.requestId).filter((r): r is string => !!r);
  const assetIds = [...new Set(changes.flatMap((c) => c.assetIds))];
  const tracked = requestIds.length ? await trackedWorkOfRequests(db, requestIds) : [];
  const byRequest = new Map(tracked.map((t) => [t.requestId!, t]));
  // Work places every work item by its asset, so the work it reported tells where the change's assets are.
  const located = assetIds.length ? await placesOfAssets(db, assetIds) : [];
  const assetPlaces = new Map<string, Place>(located.map((r) => [r.asset_id, { areaId: r.area_id, lineId: r.line_id }]));

  const placeOfRecord = (r: { requestId: string | null; areaId: string | null; lineId: string | null; assetId: string | null }): Place => {
    const work = r.requestId ? byRequest.get(r.requestId) : undefined;
    if (work) return { areaId: work.areaId, lineId: work.lineId };
    if (r.lineId || r.areaId) return { areaId: r.areaId, lineId: r.lineId };
    return (r.assetId && assetPlaces.get(r.assetId)) || { areaId: null, lineId: null };
  };
  const workOf = (check: PreStartupCheck) => (check.requestId ? byRequest.get(check.requestId) : undefined);

  const blockers: RestartBlocker[] = [];
  const blocker = (fields: Pick<RestartBlocker, 'kind' | 'description' | 'change'> & Partial<RestartBlocker>): RestartBlocker => ({ check: null, workItem: null, workStatus: null, workStatusAsOf: null, authorizerRoles: [], ...fields });
  for (const change of changes) {
    const own = checks.filter((c) => c.changeId === change.id);
    const places: Place[] = [
      ...change.areaIds.map((areaId) => ({ areaId, lineId: null })),
      ...change.lineIds.map((lineId) => ({ areaId: null, lineId })),
      ...change.assetIds.map((a) => assetPlaces.get(a)).filter((p): p is Place => !!p),
      ...own.map(placeOfRecord),
      ...tasks.filter((t) => t.changeId === change.id).map(placeOfRecord),
    ];
    if (!places.some((p) => concerns(asked, p))) continue;
    const title = `${changeNumber(change)} "${change.title}"`;
    if (change.status !== 'PRE_STARTUP_REVIEW') {
      blockers.push(blocker({ kind: 'CHANGE_IN_PROGRESS', description: `${title} ${stageOf[change.status]}`, change }));
      continue;
    }
    const verified = own.filter((c) => workOf(c)?.status === 'DONE');
    if (verified.length === own.length) {
      // DONE is final in Work: "verified" is true now, not only as of the last event.
      blockers.push(blocker({
        kind: 'AWAITING_STARTUP_AUTHORIZATION',
        description: `${title}: all ${own.length} pre-startup check(s) verified; awaiting start-up authorization by ${STARTUP_AUTHORIZERS}`,
        change,
        authorizerRoles: AUTHORIZER_ROLES,
      }));
      continue;
    }
    blockers.push(blocker({
      kind: 'CHANGE_IN_PROGRESS',
      description: `${title} ${stageOf[change.status]}: ${verified.length} of ${own.length} pre-startup check(s) verified done; then start-up is authorized by ${STARTUP_AUTHORIZERS}`,
      change,
    }));
    for (const check of own) {
      const work = workOf(check);
      const place = placeOfRecord(check);
      // A check placed nowhere more precise than the change applies wherever the change does.
      const placed = !!(place.areaId || place.lineId);
      if (work?.status === 'DONE' || (placed && !concerns(asked, place))) continue;
      blockers.push(blocker({
        kind: 'PRE_STARTUP_CHECK_OPEN',
        description: `Pre-startup check "${check.title}" of ${changeNumber(change)} is not verified done (${workStatusAsOf(work)})`,
        change,
        check,
        workItem: work ? { id: work.workItemId } : null,
        workStatus: requestedWorkStatus(work),
        workStatusAsOf: trackedAsOf(work),
      }));
    }
  }
  // Category A punch items on the line or area must be closed (verified done) before start-up.
  for (const punch of await openCategoryAPunchItems(db, OPEN_WORK_STATUSES, resolved.siteId)) {
    if (!concerns(asked, { areaId: punch.areaId, lineId: punch.lineId })) continue;
    blockers.push(blocker({
      kind: 'OPEN_PUNCH_ITEM_A',
      description: `Category A punch item ${punch.number} (${[punch.project, punch.system].filter(Boolean).join(', ')}${punch.milestone ? `, milestone ${punch.milestone}` : ''}) is not verified done (${punch.status} as of ${new Date(punch.lastEventAt).toISOString()})`,
      change: null,
      workItem: { id: punch.workItemId },
      workStatus: punch.status as RequestedWorkStatus,
      workStatusAsOf: new Date(punch.lastEventAt),
    }));
  }
  const where = [asked.lineId && (question.lineCode ? `line ${question.lineCode.trim()}` : 'the line'), asked.areaId && (question.areaCode ? `area ${question.areaCode.trim()}` : 'the area')].filter(Boolean).join(' in ');
  const answer = blockers.length
    ? `No: ${blockers.length} thing(s) stand in the way of restarting ${where}: ${blockers.map((b) => b.description).join('; ')}`
    : `Yes: no change in progress and no open pre-startup check stands in the way of restarting ${where}`;
  return {
    site: resolved.siteId ? { id: resolved.siteId } : null,
    area: asked.areaId ? { id: asked.areaId } : null,
    line: asked.lineId ? { id: asked.lineId } : null,
    mayRestart: blockers.length === 0,
    answer,
    blockers,
  };
}

