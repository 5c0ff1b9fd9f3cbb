import { OPEN_WORK_STATUSES, type WorkEventData } from '@opsgraph/core';
import { cancelOpenChecksOfWorkItem } from '../store/checks';
import { requirementsAtSites } from '../store/requirements';
import { applyWorkEventToView, recordPerformersOfEvent } from '../store/tracked-work';
import type { InspectionReading } from '../entities';
import type { ComplianceContext } from './context';
import { onEffectivenessWork } from './effectiveness';
import { onInspectionWork } from './obligations';
import { factsOf, raiseChecks } from './requirements';

/**
 * Applies one of Work's work item events: keeps the local view of the work, gates new work that a
 * requirement with a work check applies to, closes the loop of the inspections obligations raised (met, or failed
 * with readings outside their limits) and of findings' effectiveness checks, and drops the checks of cancelled work. (Work done without its check confirmed keeps the check open: a gap.)
 */
export async function onWorkEvent(ctx: ComplianceContext, type: string, data: WorkEventData & { outOfLimits?: InspectionReading[] | null }, time: Date) {
  const { before, after, applied } = await applyWorkEventToView(ctx.manager, type, data, time);
  await recordPerformersOfEvent(ctx.manager, type, data); // who did it stays true, even from an event that arrives late
  if (!applied) return;
  if (!before && OPEN_WORK_STATUSES.includes(after.status)) {
    const candidates = (await requirementsAtSites(ctx.manager, [after.siteId])).filter((r) => r.workCheck);
    if (candidates.length) await raiseChecks(ctx, factsOf(after), candidates);
  }
  // The readings outside their limits Work reported with the verification: a failed inspection or check.
  const outOfLimits = data.outOfLimits ?? [];
  await onInspectionWork(ctx, type, after, outOfLimits);
  await onEffectivenessWork(ctx, type, after, outOfLimits);
  if (type.endsWith('work_item.cancelled')) {
    await cancelOpenChecksOfWorkItem(ctx.manager, after.workItemId);
  }
}
