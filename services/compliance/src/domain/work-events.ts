import { OPEN_WORK_STATUSES, applyWorkEvent, type WorkEventData, recordWorkPerformers } from '@opsgraph/core';
import { ComplianceCheck } from '../entities';
import type { ComplianceContext } from './context';
import { onInspectionWork } from './obligations';
import { factsOf, raiseChecks, requirementsAtSites } from './requirements';

/**
 * Applies one of Work's work item events: keeps the local view of the work, gates new work that a
 * requirement with a work check applies to, closes the loop of the inspections obligations raised, and
 * drops the checks of cancelled work. (Work done without its check confirmed keeps the check open: a gap.)
 */
export async function onWorkEvent(ctx: ComplianceContext, type: string, data: WorkEventData, time: Date) {
  const { before, after, applied } = await applyWorkEvent(ctx.manager, type, data, time);
  await recordWorkPerformers(ctx.manager, type, data); // who did it stays true, even from an event that arrives late
  if (!applied) return;
  if (!before && OPEN_WORK_STATUSES.includes(after.status)) {
    const candidates = (await requirementsAtSites(ctx.manager, [after.siteId])).filter((r) => r.workCheck);
    if (candidates.length) await raiseChecks(ctx, factsOf(after), candidates);
  }
  await onInspectionWork(ctx, type, after);
  if (type.endsWith('work_item.cancelled')) {
    await ctx.manager.update(ComplianceCheck, { workItemId: after.workItemId, status: 'OPEN' }, { status: 'CANCELLED' });
  }
}
