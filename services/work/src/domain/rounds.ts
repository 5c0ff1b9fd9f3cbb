import { DomainError, ErrorCode, badInput, illegalTransition, optionalText, requireRole, requireText, type Caller } from '@opsgraph/core';
import type { EntityManager } from 'typeorm';
import type { WorkItem } from '../entities';
import { storeDetails, type CheckpointRecording, type RoundCheck, type RoundCheckpoint, type RoundReading } from './details';
import { WORK_PERMISSIONS } from './permissions';
import { changeWorkItem, createWorkItemIn, eventData, type ChangeContext, type ChangeOptions } from './work-items';

/**
 * Operator rounds recorded checkpoint by checkpoint (issue 28). Each checkpoint is saved as it is recorded, under
 * the item's lock; recording one again with the same readings (a retry from a phone on a poor network) returns the
 * item as it is and changes nothing, with other readings it is a CONFLICT. A reading outside its limits (or a check
 * answered not ok) does not fail the round: it is recorded, and the checkpoint raises one follow-up work item on its
 * asset (or area) whose source is the round, with the checkpoint and the readings in the reason.
 */

export interface RoundReadingInput {
  label: string;
  value?: number | null;
  ok?: boolean | null;
  unit?: string | null;
  note?: string | null;
}

const MAX_READINGS = 30;

/** Checks the readings of a checkpoint against its checks: every check answered once, a reading with a value in its unit. */
function readingsOf(point: RoundCheckpoint, input: RoundReadingInput[]): RoundReading[] {
  if (!Array.isArray(input) || !input.length) throw badInput('readings are required', { field: 'readings' });
  if (input.length > MAX_READINGS) throw badInput(`at most ${MAX_READINGS} readings`, { field: 'readings' });
  const byLabel = new Map(point.checks.map((c) => [c.label.toLowerCase(), c]));
  const seen = new Set<string>();
  const readings = input.map((r, i) => {
    const f = `readings[${i}]`;
    const label = requireText(r.label, `${f}.label`, { max: 200 });
    const check = byLabel.get(label.toLowerCase());
    if (!check) throw badInput(`${f}.label: checkpoint ${point.checkpoint} has no check "${label}" (it has ${point.checks.map((c) => c.label).join(', ')})`, { field: `${f}.label` });
    if (seen.has(check.label)) throw badInput(`${f}.label: "${check.label}" is answered twice`, { field: `${f}.label` });
    seen.add(check.label);
    const note = optionalText(r.note, `${f}.note`, 1000);
    if (check.kind === 'CHECK') {
      if (typeof r.ok !== 'boolean') throw badInput(`${f}.ok: "${check.label}" is a check, answered ok or not`, { field: `${f}.ok` });
      return { label: check.label, value: null, ok: r.ok, unit: null, note, withinLimits: r.ok };
    }
    if (typeof r.value !== 'number' || !Number.isFinite(r.value)) throw badInput(`${f}.value: "${check.label}" is a reading, a value is needed`, { field: `${f}.value` });
    const unit = optionalText(r.unit, `${f}.unit`, 30);
    if (unit && unit.toLowerCase() !== (check.unit ?? '').toLowerCase()) throw badInput(`${f}.unit must be ${check.unit}`, { field: `${f}.unit` });
    return { label: check.label, value: r.value, ok: null, unit: check.unit, note, withinLimits: withinLimits(check, r.value) };
  });
  const missing = point.checks.filter((c) => !seen.has(c.label));
  if (missing.length) throw badInput(`readings: checkpoint ${point.checkpoint} also needs ${missing.map((c) => `"${c.label}"`).join(', ')}`, { field: 'readings' });
  // In the route's order, whatever order they were sent in: a retry in another order is the same recording.
  return point.checks.map((c) => readings.find((r) => r.label === c.label)!);
}

const withinLimits = (check: RoundCheck, value: number) => (check.min === null || value >= check.min) && (check.max === null || value <= check.max);

/** Field by field: the stored document is jsonb, whose key order is its own. */
const sameReadings = (a: RoundReading[], b: RoundReading[]) =>
  a.length === b.length && a.every((r, i) => r.label === b[i].label && r.value === b[i].value && r.ok === b[i].ok && r.unit === b[i].unit && r.note === b[i].note);

/** A reading or check outside its limits, in words for the follow-up's reason and the history. */
function deviation(check: RoundCheck, r: RoundReading): string {
  if (check.kind === 'CHECK') return `${check.label}: not ok${r.note ? ` (${r.note})` : ''}`;
  return `${check.label} ${r.value} ${check.unit ?? ''} outside ${check.min ?? '-∞'}..${check.max ?? '∞'}${r.note ? ` (${r.note})` : ''}`.replace('  ', ' ');
}

export function recordRoundCheckpoint(db: EntityManager, caller: Caller, workItemId: string, checkpoint: number, readings: RoundReadingInput[], options: ChangeOptions = {}) {
  requireRole(caller, ...WORK_PERMISSIONS.recordRound);
  if (!Number.isInteger(checkpoint) || checkpoint < 1) throw badInput('checkpoint is the 1-based position on the route', { field: 'checkpoint' });
  return changeWorkItem(db, caller, workItemId, options, async (ctx, item) => {
    const round = item.details?.round;
    if (item.type !== 'ROUND' || !round) throw badInput(`work item ${item.number} is not a round with a route`, { field: 'workItemId' });
    const point = round.route[checkpoint - 1];
    if (!point) throw badInput(`checkpoint must be 1..${round.route.length}`, { field: 'checkpoint' });
    const values = readingsOf(point, readings);
    const earlier = round.recordings.find((r) => r.checkpoint === checkpoint);
    if (earlier) {
      if (sameReadings(earlier.readings, values)) return item; // a retry: recorded once, nothing changes twice
      throw new DomainError(ErrorCode.CONFLICT, `checkpoint ${checkpoint} of ${item.number} was already recorded at ${earlier.recordedAt} with other readings`, { checkpoint, recordedAt: earlier.recordedAt });
    }
    if (item.status !== 'IN_PROGRESS') throw illegalTransition('work item', item.status, 'record a checkpoint of');
    const out = values.flatMap((r, i) => (r.withinLimits ? [] : [deviation(point.checks[i], r)]));
    const followUp = out.length ? await raiseFollowUp(ctx, item, point, out) : null;
    const recording: CheckpointRecording = {
      checkpoint,
      recordedAt: new Date().toISOString(),
      recordedById: caller.id,
      readings: values,
      withinLimits: !out.length,
      followUpId: followUp?.id ?? null,
    };
    await storeDetails(ctx, item, { round: { route: round.route, recordings: [...round.recordings, recording] } });
    const done = round.recordings.length + 1;
    ctx.changes.addTransition(
      item,
      item.status,
      caller,
      `checkpoint ${checkpoint} "${point.name}" recorded (${done}/${round.route.length})${out.length ? `: ${out.join('; ')}; follow-up ${followUp!.number}` : ''}`,
    );
    ctx.changes.record({
      domain: 'work',
      type: 'work_item.round_checkpoint_recorded',
      subject: item.id,
      requestId: ctx.requestId,
      data: eventData(item, {
        actorId: caller.id,
        checkpoint,
        checkpointAssetId: point.assetId,
        checkpointAreaId: point.areaId,
        recordedCount: done,
        routeLength: round.route.length,
        outOfLimits: values.flatMap((r, i) => (r.withinLimits || r.value === null ? [] : [{ label: r.label, value: r.value, unit: r.unit, min: point.checks[i].min, max: point.checks[i].max }])),
        followUpWorkItemId: followUp?.id ?? null,
      }),
    });
    return item;
  });
}

/** The follow-up work of a checkpoint with readings outside their limits: on its asset (maintenance) or its area (corrective action). */
function raiseFollowUp(ctx: ChangeContext, round: WorkItem, point: RoundCheckpoint, deviations: string[]): Promise<WorkItem> {
  return createWorkItemIn(ctx, {
    type: point.assetId ? 'MAINTENANCE' : 'CORRECTIVE_ACTION',
    title: `Follow up round ${round.number} checkpoint ${point.checkpoint}: ${point.name}`.slice(0, 300),
    priority: 'HIGH',
    siteId: round.siteId,
    areaId: point.assetId ? null : point.areaId,
    assetId: point.assetId,
    shift: round.shift,
    contractorCompany: round.contractorCompany,
    source: { domain: 'WORK', recordId: round.id, reason: `Round ${round.number} checkpoint ${point.checkpoint} (${point.name}): ${deviations.join('; ')}`.slice(0, 2000) },
    links: [{ domain: 'WORK', recordId: round.id, relation: `round checkpoint ${point.checkpoint}` }],
  });
}
