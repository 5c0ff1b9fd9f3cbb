import { clipText, withSystemScope } from '@opsgraph/core';
import { knownLocationHandlers, recordEvent, topicOf, type CloudEvent, type ConsumerOptions, type PrerequisiteRequiredV1, type PrerequisiteSourceChangedV1 } from '@opsgraph/events';
import type { EntityManager } from 'typeorm';
import { holdsNow, type CompetenceRecord, type OpenWorkItem, type Qualification, type QualificationRequirement, type RequirementScope } from '../entities';
import {
  coversOfPermit,
  deleteCoversOfPermit,
  deleteCoversOfWorkItem,
  deleteOpenWorkItem,
  insertOpenWorkItem,
  insertPermitCovers,
  lockOpenWorkItem,
  newOpenWorkItem,
  openWorkInScopes,
  openWorkItemsOldestFirst,
  permitCoversOfWorkItem,
  saveOpenWorkItem,
} from '../store/open-work';
import { allQualificationRequirements, lockRequirements, qualificationsWithIds, requirementsOfQualification } from '../store/qualifications';
import { recordsOfPerson } from '../store/records';
import { lockPerson } from './people';

/**
 * Competence into Work. For every open work item with an owner, one "competence held" prerequisite per
 * qualification the item requires, keyed by the holding it checks:
 *
 *   sourceRecordId = `<personId>:<qualificationCode>`   (kind COMPETENCE_HELD)
 *
 * raised OPEN when the owner lacks it (the reason says what is missing) and SATISFIED when they hold it.
 * Granting or renewing that holding satisfies it, its expiry or revocation re-opens it on the open work
 * it affects, and reassigning the item satisfies the previous owner's ones for that item.
 */
export const KIND = 'COMPETENCE_HELD' as const;
export const holdingId = (personId: string, code: string) => `${personId}:${code}`;

export interface EffectContext {
  manager: EntityManager;
  requestId?: string;
  /** The clock the decision is made with (the expiry rule's `now`). */
  now?: Date;
}

const day = (d: Date) => d.toISOString().slice(0, 10);

/** The qualifications demanded of an item by its work type, its asset's class and the permit types covering it. */
export function matchRequirements(item: Pick<OpenWorkItem, 'workType' | 'assetClass'>, permitTypes: readonly string[], requirements: readonly QualificationRequirement[]): string[] {
  const matches = (r: QualificationRequirement) =>
    (r.scope === 'WORK_TYPE' && r.value === item.workType) || (r.scope === 'ASSET_CLASS' && r.value === item.assetClass) || (r.scope === 'PERMIT_TYPE' && permitTypes.includes(r.value));
  return [...new Set(requirements.filter(matches).map((r) => r.qualificationId))];
}

export async function requiredQualifications(manager: EntityManager, item: OpenWorkItem): Promise<Qualification[]> {
  const requirements = await allQualificationRequirements(manager);
  if (!requirements.length) return [];
  const covers = await permitCoversOfWorkItem(manager, item.workItemId);
  const ids = matchRequirements(item, covers.map((c) => c.permitType), requirements);
  return ids.length ? qualificationsWithIds(manager, ids) : [];
}

/** What is missing, in words for the board: "HOT-WORK expired on 2026-03-01". */
export function whyMissing(record: CompetenceRecord | undefined, q: Qualification): string {
  if (!record) return `${q.code} not held`;
  if (record.revokedAt) return clipText(`${q.code} revoked${record.revokedReason ? `: ${record.revokedReason}` : ''}`, 1000);
  const ended = record.expiresAt ?? record.lapsedAt;
  return ended ? `${q.code} expired on ${day(ended)}` : `${q.code} not held`;
}

async function raise(ctx: EffectContext, item: OpenWorkItem, ownerId: string, q: Qualification, held: CompetenceRecord | undefined, reason: string) {
  const sourceRecordId = holdingId(ownerId, q.code);
  await recordEvent(ctx.manager, {
    domain: 'competence',
    type: 'prerequisite.required',
    subject: sourceRecordId,
    // The owner is named by the item itself; the event carries no names (personal data stays out of the log).
    // The item's site: Work applies the blocker only to an item of that site.
    data: { workItemId: item.workItemId, siteId: item.siteId, kind: KIND, sourceRecordId, description: clipText(`Owner holds ${q.name} (${q.code})`, 1000), state: held ? 'SATISFIED' : 'OPEN', reason,
      // Work judges the holding lapsed from its expiry on, at the very moment, before the expiry scheduler says so.
      validUntil: held?.expiresAt ? new Date(held.expiresAt).toISOString() : null } satisfies PrerequisiteRequiredV1,
    requestId: ctx.requestId,
  });
}

/** Satisfies or re-opens one holding's prerequisites on the given items (the contract takes 500 ids at a time). */
export async function settleHolding(ctx: EffectContext, change: 'satisfied' | 'reopened', personId: string, q: Qualification, workItemIds: string[], reason: string, validUntil: Date | null = null) {
  const sourceRecordId = holdingId(personId, q.code);
  for (let i = 0; i < workItemIds.length; i += 500) {
    await recordEvent(ctx.manager, {
      domain: 'competence',
      type: `prerequisite.${change}`,
      subject: sourceRecordId,
      data: {
        sourceRecordId,
        kind: KIND,
        workItemIds: workItemIds.slice(i, i + 500),
        reason: clipText(reason, 2000),
        ...(change === 'satisfied' && validUntil ? { validUntil: new Date(validUntil).toISOString() } : {}),
      } satisfies PrerequisiteSourceChangedV1,
      requestId: ctx.requestId,
    });
  }
}

/**
 * Brings an item's competence prerequisites in line with its owner and requirements: one per required
 * qualification (OPEN or SATISFIED), the previous owner's satisfied after a reassignment, and those of
 * qualifications no longer required (`before` minus now) satisfied.
 */
export async function reconcile(ctx: EffectContext, item: OpenWorkItem, options: { previousOwnerId?: string | null; before?: Qualification[] } = {}) {
  const now = ctx.now ?? new Date();
  await lockRequirements(ctx.manager);
  const required = await requiredQualifications(ctx.manager, item);
  const before = options.before ?? [];
  const owner = item.ownerId;
  // The new owner's needs first, then the releases, so the item does not look free in between.
  if (owner) {
    await lockPerson(ctx.manager, owner);
    const records = required.length ? await recordsOfPerson(ctx.manager, owner, required.map((q) => q.id)) : [];
    for (const q of required) {
      const record = records.find((r) => r.qualificationId === q.id);
      const held = record && holdsNow(record, now) ? record : undefined;
      await raise(ctx, item, owner, q, held, held ? `${q.code} held${held.expiresAt ? ` until ${day(held.expiresAt)}` : ''}` : whyMissing(record, q));
    }
    for (const q of before.filter((b) => !required.some((r) => r.id === b.id))) {
      await settleHolding(ctx, 'satisfied', owner, q, [item.workItemId], `${q.code} no longer required`);
    }
  }
  const previous = options.previousOwnerId;
  if (previous && previous !== owner) {
    const all = [...required, ...before.filter((b) => !required.some((q) => q.id === b.id))];
    for (const q of all) await settleHolding(ctx, 'satisfied', previous, q, [item.workItemId], 'owner changed');
  }
}

/** Open work with an owner that a requirement scope applies to. */
export async function openWorkIn(manager: EntityManager, scopes: { scope: RequirementScope; value: string }[], ownerId?: string): Promise<OpenWorkItem[]> {
  if (!scopes.length) return [];
  return openWorkInScopes(manager, scopes, ownerId);
}

/** A requirement was added or removed: reconcile every open item in its scope. */
export async function reconcileMatching(ctx: EffectContext, scope: { scope: RequirementScope; value: string }, before: Qualification[]) {
  // Requirements are company-wide: every site's open work follows them, not only the sites of who changed them.
  await withSystemScope(ctx.manager, 'a qualification requirement applies to open work at every site', async (manager) => {
    for (const item of await openWorkIn(manager, [scope])) await reconcile({ ...ctx, manager }, item, { before });
  });
}

/**
 * A person's holding of a qualification changed (granted, renewed, lapsed, revoked): satisfy or re-open
 * its prerequisites on the open work it affects. The caller holds the requirements lock (shared), then the person's.
 */
export async function holdingChanged(ctx: EffectContext, record: CompetenceRecord, q: Qualification, change: string) {
  const now = ctx.now ?? new Date();
  // A person's holding counts wherever they work: revoking it at one site re-opens their work at every site.
  await withSystemScope(ctx.manager, "a holding change updates the holder's work at every site", async (manager) => {
    const scopes = await requirementsOfQualification(manager, q.id);
    const items = (await openWorkIn(manager, scopes, record.personId)).map((i) => i.workItemId);
    if (!items.length) return;
    const effect = { ...ctx, manager };
    if (holdsNow(record, now)) await settleHolding(effect, 'satisfied', record.personId, q, items, `${q.code} ${change}${record.expiresAt ? `, valid until ${day(record.expiresAt)}` : ''}`, record.expiresAt);
    else await settleHolding(effect, 'reopened', record.personId, q, items, whyMissing(record, q));
  });
}

// ---------- the projection of Work (and of the permits covering work), from their events ----------

interface WorkItemFact {
  workItemId: string;
  number: string;
  workType: string;
  siteId: string;
  ownerId?: string | null;
  assetClass?: string | null;
  contractorCompany?: string | null;
}

interface PermitFact {
  permitId: string;
  permitType: string;
  workItemIds: string[];
  addedWorkItemIds?: string[];
}

const contextOf = (event: Pick<CloudEvent, 'requestId'>, manager: EntityManager): EffectContext => ({ manager, requestId: event.requestId });

async function workItemCreated(event: CloudEvent<WorkItemFact>, manager: EntityManager) {
  const d = event.data;
  await lockRequirements(manager);
  const item = await insertOpenWorkItem(manager, {
    workItemId: d.workItemId,
    number: d.number,
    siteId: d.siteId,
    workType: d.workType,
    assetClass: d.assetClass ?? null,
    ownerId: d.ownerId ?? null,
    contractorCompany: d.contractorCompany ?? null,
  });
  if (item.ownerId) await reconcile(contextOf(event, manager), item);
}

async function workItemAssigned(event: CloudEvent<WorkItemFact>, manager: EntityManager) {
  const d = event.data;
  await lockRequirements(manager);
  const existing = await lockOpenWorkItem(manager, d.workItemId);
  const previousOwnerId = existing?.ownerId ?? null;
  const item = existing ?? newOpenWorkItem(manager, { workItemId: d.workItemId, number: d.number, siteId: d.siteId, workType: d.workType, contractorCompany: null });
  item.ownerId = d.ownerId ?? null;
  if (d.assetClass !== undefined) item.assetClass = d.assetClass ?? null;
  await saveOpenWorkItem(manager, item);
  await reconcile(contextOf(event, manager), item, { previousOwnerId });
}

/** Verified or cancelled: no longer open work, nothing to check. */
async function workItemClosed(event: CloudEvent<WorkItemFact>, manager: EntityManager) {
  await deleteOpenWorkItem(manager, event.data.workItemId);
  await deleteCoversOfWorkItem(manager, event.data.workItemId);
}

async function permitCovers(event: CloudEvent<PermitFact>, manager: EntityManager, workItemIds: string[]) {
  if (!workItemIds.length) return;
  await lockRequirements(manager);
  await insertPermitCovers(manager, workItemIds.map((workItemId) => ({ workItemId, permitId: event.data.permitId, permitType: event.data.permitType })));
  const items = await openWorkItemsOldestFirst(manager, workItemIds);
  for (const item of items.filter((i) => i.ownerId)) await reconcile(contextOf(event, manager), item);
}

async function permitCancelled(event: CloudEvent<PermitFact>, manager: EntityManager) {
  await lockRequirements(manager);
  const covers = await coversOfPermit(manager, event.data.permitId);
  const items = covers.length ? await openWorkItemsOldestFirst(manager, covers.map((c) => c.workItemId)) : [];
  const before = new Map<string, Qualification[]>();
  for (const item of items) before.set(item.workItemId, await requiredQualifications(manager, item));
  await deleteCoversOfPermit(manager, event.data.permitId);
  for (const item of items.filter((i) => i.ownerId)) await reconcile(contextOf(event, manager), item, { before: before.get(item.workItemId) });
}

/**
 * Competence's consumer: Work's item facts keep the projection; permit facts say which permit types cover
 * which work; Work's location registry keeps the `known_location` copy the sites people are given are checked against.
 */
export const competenceConsumer: ConsumerOptions = {
  groupId: 'competence',
  topics: [topicOf('work'), topicOf('permits')],
  handlers: {
    'opsgraph.work.work_item.created': workItemCreated,
    'opsgraph.work.work_item.assigned': workItemAssigned,
    'opsgraph.work.work_item.verified': workItemClosed,
    'opsgraph.work.work_item.cancelled': workItemClosed,
    'opsgraph.permits.permit.created': (e: CloudEvent<PermitFact>, m: EntityManager) => permitCovers(e, m, e.data.workItemIds),
    'opsgraph.permits.permit.work_items_added': (e: CloudEvent<PermitFact>, m: EntityManager) => permitCovers(e, m, e.data.addedWorkItemIds ?? []),
    'opsgraph.permits.permit.cancelled': permitCancelled,
    ...knownLocationHandlers,
  },
};
