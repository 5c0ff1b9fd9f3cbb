import { Column, Entity, In, Index, PrimaryColumn, UpdateDateColumn, type EntityManager } from 'typeorm';

/**
 * A supporting domain's local view of Work's work items, kept from Work's events (`opsgraph.work.v1`),
 * never from Work's tables. Change and compliance raise work and must know, without asking Work, which
 * work item answered each of their requests and whether it is verified done; they also match new work
 * against their own records (work on an asset in a change's scope, work a requirement applies to).
 */
export const TRACKED_WORK_STATUSES = ['OPEN', 'READY', 'IN_PROGRESS', 'AWAITING_VERIFICATION', 'DONE', 'ON_HOLD', 'CANCELLED'] as const;
export type TrackedWorkStatus = (typeof TRACKED_WORK_STATUSES)[number];
/** Work that is still to be done (not verified done, not cancelled). */
export const OPEN_WORK_STATUSES: TrackedWorkStatus[] = ['OPEN', 'READY', 'IN_PROGRESS', 'AWAITING_VERIFICATION', 'ON_HOLD'];

@Entity('tracked_work_item')
@Index('tracked_work_item_asset', ['assetId', 'status'])
@Index('tracked_work_item_source', ['sourceDomain', 'sourceRecordId'])
export class TrackedWorkItem {
  @PrimaryColumn('uuid') workItemId: string;
  @Column('text') number: string;
  @Column('text') workType: string;
  @Column('text') status: TrackedWorkStatus;
  @Column('uuid') siteId: string;
  @Column('uuid', { nullable: true }) areaId: string | null;
  @Column('uuid', { nullable: true }) lineId: string | null;
  @Column('uuid', { nullable: true }) assetId: string | null;
  @Column('text', { nullable: true }) assetClass: string | null;
  @Column('text', { nullable: true }) sourceDomain: string | null;
  @Column('text', { nullable: true }) sourceRecordId: string | null;
  /** The idempotency key of the work request that raised it, when a domain asked for it by event. */
  @Index('tracked_work_item_request') @Column('text', { nullable: true }) requestId: string | null;
  @Column('text', { nullable: true }) ownerId: string | null;
  @Column('timestamptz', { nullable: true }) verifiedAt: Date | null;
  @Column('text', { nullable: true }) verifierId: string | null;
  /** Time of the last event applied; an older event arriving late never overwrites a newer state. */
  @Column('timestamptz') lastEventAt: Date;
  @UpdateDateColumn({ type: 'timestamptz' }) updatedAt: Date;
}

/** The part of a Work event this view reads (see the `opsgraph.work.work_item.*` contracts in libs/events). */
export interface WorkEventData {
  workItemId: string;
  number: string;
  workType: string;
  status: string;
  siteId: string;
  areaId?: string | null;
  lineId?: string | null;
  assetId?: string | null;
  assetClass?: string | null;
  sourceDomain?: string | null;
  sourceRecordId?: string | null;
  ownerId?: string | null;
  verifierId?: string | null;
  verifiedAt?: string | null;
  workRequestId?: string | null;
}

export interface TrackedChange {
  /** The view before the event (null when the work item was not known yet). */
  before: TrackedWorkItem | null;
  /** The view after it; `before === after` state-wise when the event was stale. */
  after: TrackedWorkItem;
  /** False when the event was older than what the view already holds. */
  applied: boolean;
}

/**
 * Applies one `opsgraph.work.work_item.*` event to the view, inside the consumer's transaction, and
 * returns the state before and after so the domain can react (a check verified, new work on an asset).
 */
export async function applyWorkEvent(manager: EntityManager, type: string, data: WorkEventData, time: Date): Promise<TrackedChange> {
  const existing = await manager.findOne(TrackedWorkItem, { where: { workItemId: data.workItemId }, lock: { mode: 'pessimistic_write' } });
  const before = existing ? manager.create(TrackedWorkItem, { ...existing }) : null;
  if (existing && existing.lastEventAt > time) {
    return { before, after: existing, applied: false };
  }
  const row = existing ?? manager.create(TrackedWorkItem, { workItemId: data.workItemId, requestId: null, assetClass: null, ownerId: null, verifiedAt: null, verifierId: null });
  row.number = data.number;
  row.workType = data.workType;
  row.status = data.status as TrackedWorkStatus;
  row.siteId = data.siteId;
  row.areaId = data.areaId ?? null;
  row.lineId = data.lineId ?? null;
  row.assetId = data.assetId ?? null;
  row.sourceDomain = data.sourceDomain ?? null;
  row.sourceRecordId = data.sourceRecordId ?? null;
  // Only some events carry these; keep what an earlier event told when a later one is silent.
  if (data.assetClass !== undefined) row.assetClass = data.assetClass ?? null;
  if (data.workRequestId) row.requestId = data.workRequestId;
  if (data.ownerId !== undefined && (type.endsWith('.created') || type.endsWith('.assigned'))) row.ownerId = data.ownerId ?? null;
  if (type.endsWith('.verified')) {
    row.verifiedAt = data.verifiedAt ? new Date(data.verifiedAt) : time;
    row.verifierId = data.verifierId ?? null;
  }
  row.lastEventAt = time;
  const after = await manager.save(row);
  return { before, after, applied: true };
}

/** Live status of requested work: REQUESTED until Work reports the work item it created. */
export type RequestedWorkStatus = TrackedWorkStatus | 'REQUESTED';
export const requestedWorkStatus = (tracked: TrackedWorkItem | null | undefined): RequestedWorkStatus => tracked?.status ?? 'REQUESTED';
export const isVerifiedDone = (tracked: TrackedWorkItem | null | undefined) => tracked?.status === 'DONE';

/**
 * Who did a work item: whoever started or completed it, from Work's events (the tracked view keeps only its
 * owner). Kept by the domains whose confirm steps must exclude whoever did the work they confirm (a
 * finding's or an incident's actions, a compliance check on work); each creates the table in a migration.
 */
@Entity('work_performer')
export class WorkPerformer {
  @PrimaryColumn('uuid') workItemId: string;
  @PrimaryColumn('text') personId: string;
}

/** Records the people a Work event names as doing the item: its performer and whoever started or completed it. */
export async function recordWorkPerformers(manager: EntityManager, type: string, data: WorkEventData) {
  if (!type.endsWith('work_item.started') && !type.endsWith('work_item.completed')) return;
  const { performerId, actorId } = data as WorkEventData & { performerId?: string | null; actorId?: string | null };
  const people = [...new Set([performerId, actorId].filter((id): id is string => !!id))];
  if (!people.length) return;
  await manager.query(`INSERT INTO work_performer (work_item_id, person_id) SELECT $1, unnest($2::text[]) ON CONFLICT DO NOTHING`, [data.workItemId, people]);
}

export type WorkPart = 'OWNER' | 'PERFORMER';

/** Who owns (as Work last reported) or did each of these work items. */
export async function workParticipants(manager: EntityManager, workItemIds: string[]): Promise<{ workItemId: string; personId: string; part: WorkPart }[]> {
  if (!workItemIds.length) return [];
  const tracked = await manager.find(TrackedWorkItem, { where: { workItemId: In(workItemIds) } });
  const performers = await manager.find(WorkPerformer, { where: { workItemId: In(workItemIds) } });
  return [
    ...tracked.filter((t) => t.ownerId).map((t) => ({ workItemId: t.workItemId, personId: t.ownerId!, part: 'OWNER' as const })),
    ...performers.map((p) => ({ workItemId: p.workItemId, personId: p.personId, part: 'PERFORMER' as const })),
  ];
}
