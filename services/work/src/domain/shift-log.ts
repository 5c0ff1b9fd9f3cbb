import { badInput, isContractorOnly, optionalUuid, requireRole, requireText, requireUuid, type Caller } from '@opsgraph/core';
import { WORK_PERMISSIONS } from './permissions';
import type { EntityManager } from 'typeorm';
import { saveShiftLogEntry } from '../store/shift-log';
import { sitesOfWorkItems } from '../store/work-items';
import { resolvePlace } from './locations';

export interface ShiftLogInput {
  siteId: string;
  areaId?: string | null;
  shift: string;
  text: string;
  attentionNextShift?: boolean | null;
  workItemIds?: string[] | null;
}

/** Writes a shift log entry on the same picture as the work: it may point at the items it speaks of. */
export async function addShiftLogEntry(db: EntityManager, caller: Caller, input: ShiftLogInput) {
  requireRole(caller, ...WORK_PERMISSIONS.raiseWork);
  const place = await resolvePlace(db, { siteId: input.siteId, areaId: optionalUuid(input.areaId, 'areaId') });
  const workItemIds = [...new Set((input.workItemIds ?? []).map((id, i) => requireUuid(id, `workItemIds[${i}]`)))];
  if (workItemIds.length > 50) throw badInput('at most 50 linked work items', { field: 'workItemIds' });
  // A contractor reads only the notes about their company's jobs (the policy shift_log_entry_contractor, in
  // migrations/1796900000100-RowLevelSecurity.ts), so their own notes must name at least one of those jobs.
  if (isContractorOnly(caller) && !workItemIds.length) {
    throw badInput("a contractor's shift note must name at least one of their company's work items", { field: 'workItemIds' });
  }
  if (workItemIds.length) {
    // Under the request's scope: another site's or another company's item is not found, as a random id is.
    const found = await sitesOfWorkItems(db, workItemIds);
    const missing = workItemIds.filter((id) => !found.some((w) => w.id === id && w.siteId === place.siteId));
    if (missing.length) throw badInput(`work items not found at this site: ${missing.join(', ')}`, { field: 'workItemIds', missing });
  }
  return saveShiftLogEntry(db, {
    siteId: place.siteId,
    areaId: place.areaId,
    shift: requireText(input.shift, 'shift', { max: 50 }),
    text: requireText(input.text, 'text', { max: 10_000 }),
    attentionNextShift: input.attentionNextShift ?? false,
    workItemIds,
    authorId: caller.id,
    at: new Date(),
  });
}
