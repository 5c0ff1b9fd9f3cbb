import { SYSTEM_CALLER, logger } from '@opsgraph/core';
import type { EntityManager } from 'typeorm';
import type { WorkItem } from '../entities';
import { roundsDueToRecur } from '../store/details';
import { nextStart, storeDetails } from './details';
import { createWorkItemIn, inTransaction } from './work-items';

/**
 * Rounds that recur per shift or per day (`details.round.schedule`): once the start a round is for has come, the
 * schedule raises the round of the next start (same route, place, owner and outcome; window and due time from the
 * start and the minutes allowed), once: the round raised is kept on the earlier one, under its lock. A round not
 * done by its due time shows overdue on the board and in the handover. Cancelling the latest round ends the chain.
 */
export async function raiseScheduledRounds(db: EntityManager, now: Date): Promise<WorkItem[]> {
  const raised: WorkItem[] = [];
  for (const id of await roundsDueToRecur(db, now)) {
    try {
      const next = await db.transaction((manager) => inTransaction(manager, SYSTEM_CALLER, undefined, (ctx) => raiseNext(ctx, id, now)));
      if (next) raised.push(next);
    } catch (err) {
      logger.error({ err, workItemId: id }, 'the next scheduled round could not be raised');
    }
  }
  return raised;
}

async function raiseNext(ctx: Parameters<Parameters<typeof inTransaction>[3]>[0], id: string, now: Date): Promise<WorkItem | null> {
  const round = await ctx.changes.lock(id);
  const details = round.details?.round;
  const schedule = details?.schedule;
  // Judged again under the lock: another replica may have raised it meanwhile.
  if (!details || !schedule || schedule.nextRoundId || round.status === 'CANCELLED' || new Date(schedule.occurrence) > now) return null;
  const at = nextStart(schedule, new Date(schedule.occurrence));
  const start = schedule.starts.find((s) => s.at === at.toISOString().slice(11, 16));
  const dueAt = new Date(at.getTime() + schedule.allowedMinutes * 60_000);
  const next = await createWorkItemIn(ctx, {
    type: 'ROUND',
    title: round.title,
    description: round.description,
    priority: round.priority,
    siteId: round.siteId,
    areaId: round.areaId,
    lineId: round.lineId,
    assetId: round.assetId,
    shift: start?.shift ?? round.shift,
    contractorCompany: round.contractorCompany,
    ownerId: round.ownerId,
    team: round.team,
    windowStart: at,
    windowEnd: dueAt,
    dueAt,
    requiredOutcome: round.requiredOutcome,
    source: { domain: 'WORK', recordId: round.id, reason: `Scheduled round for ${at.toISOString()} (after ${round.number})` },
    links: [{ domain: 'WORK', recordId: round.id, relation: 'previous round' }],
    details: { round: { route: details.route, schedule: { starts: schedule.starts, allowedMinutes: schedule.allowedMinutes, firstAt: at.toISOString() } } },
  });
  await storeDetails(ctx, round, { round: { ...details, schedule: { ...schedule, nextRoundId: next.id } } });
  ctx.changes.addTransition(round, round.status, SYSTEM_CALLER, `next round ${next.number} raised for ${at.toISOString()}`);
  return next;
}
