import {
  badInput,
  decodeCursor,
  encodeCursor,
  forbidden,
  isContractorOnly,
  notFound,
  optionalUuid,
  pageSize,
  requireUuid,
  requestedWorkStatus,
  toConnection,
  type Caller,
  type EntityRef,
  type RequestedWorkStatus,
} from '@opsgraph/core';
import type { EntityManager } from 'typeorm';
import type { ChangeRequest, PreStartupCheck, ChangeStatus, ChangeType } from '../entities';
import { changeById, changeRequestsPage, changesBlockingRestart } from '../store/changes';
import { checksOfChanges } from '../store/checks';
import { tasksOfChanges } from '../store/tasks';
import { placesOfAssets, trackedWorkOfRequests } from '../store/tracked-work';
import { canSee, changeNumber } from './context';

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
  kind: 'PRE_STARTUP_CHECK_OPEN' | 'CHANGE_IN_PROGRESS';
  description: string;
  change: ChangeRequest;
  check: PreStartupCheck | null;
  workItem: EntityRef | null;
  workStatus: RequestedWorkStatus | null;
}

const stageOf: Partial<Record<ChangeStatus, string>> = { IMPLEMENTING: 'is being implemented', PRE_STARTUP_REVIEW: 'is in its pre-startup safety review' };

/**
 * Answers "may production restart here?": no while a change in scope is implementing or in pre-startup
 * review, or while any of its pre-startup checks there is not verified done. A fixed number of statements
 * whatever the number of changes and checks.
 */
export async function restartReadiness(db: EntityManager, caller: Caller, areaIdIn?: string | null, lineIdIn?: string | null) {
  // A contractor sees only the changes behind their company's jobs (row-level security): an answer from those
  // alone could say "yes" where another change stands in the way, so they get none.
  if (isContractorOnly(caller)) throw forbidden('"may we restart?" is answered to the site\'s own people, not to a contractor');
  const asked: Place = { areaId: optionalUuid(areaIdIn, 'areaId') ?? null, lineId: optionalUuid(lineIdIn, 'lineId') ?? null };
  if (!asked.areaId && !asked.lineId) throw badInput('name an area or a line (or both)', { field: 'areaId' });
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

  const blockers: RestartBlocker[] = [];
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
    blockers.push({ kind: 'CHANGE_IN_PROGRESS', description: `${changeNumber(change)} "${change.title}" ${stageOf[change.status]}`, change, check: null, workItem: null, workStatus: null });
    if (change.status !== 'PRE_STARTUP_REVIEW') continue;
    for (const check of own) {
      const work = check.requestId ? byRequest.get(check.requestId) : undefined;
      const place = placeOfRecord(check);
      // A check placed nowhere more precise than the change applies wherever the change does.
      const placed = !!(place.areaId || place.lineId);
      if (work?.status === 'DONE' || (placed && !concerns(asked, place))) continue;
      const status = requestedWorkStatus(work);
      blockers.push({
        kind: 'PRE_STARTUP_CHECK_OPEN',
        description: `Pre-startup check "${check.title}" of ${changeNumber(change)} is not verified done (${status})`,
        change,
        check,
        workItem: work ? { id: work.workItemId } : null,
        workStatus: status,
      });
    }
  }
  return { area: asked.areaId ? { id: asked.areaId } : null, line: asked.lineId ? { id: asked.lineId } : null, mayRestart: blockers.length === 0, blockers };
}
