import { notFound, requireUuid, type Caller } from '@opsgraph/core';
import { recordEvents, type NewEvent } from '@opsgraph/events';
import { randomUUID } from 'node:crypto';
import type { EntityManager } from 'typeorm';
import type { Prerequisite, PrerequisiteFact, PrerequisiteSource, Transition, WorkItem } from '../entities';
import { insertTransitions, performanceOfWorkItem } from '../store/history';
import { dropFacts, factsOfRecords, keepFacts } from '../store/prerequisite-facts';
import { insertPrerequisites, prerequisitesOfWorkItems, updatePrerequisites } from '../store/prerequisites';
import { lockWorkItems, updateWorkItems } from '../store/work-items';

export type { PrerequisiteSource } from '../entities';

/** Who moved an item into IN_PROGRESS or AWAITING_VERIFICATION (and from where), and who submitted its evidence. */
export interface PerformanceHistory {
  transitions: Pick<Transition, 'fromStatus' | 'toStatus' | 'actorId'>[];
  evidenceSubmitters: string[];
}

/** The columns a change may write back; the rest (id, number, version, creation and update times) are the row's own. */
const ITEM_FIELDS = [
  'type', 'title', 'description', 'status', 'heldFrom', 'holdReason', 'holdSourceDomain', 'holdSourceRecordId', 'priority', 'openPrerequisites', 'lapsesAt', 'siteId', 'areaId', 'lineId', 'assetId',
  'shift', 'batch', 'vehicle', 'contractorCompany', 'windowStart', 'windowEnd', 'customerCommitment', 'dueAt', 'ownerId', 'team', 'performerId',
  'verifiedById', 'verifiedAt', 'completedAt', 'sourceDomain', 'sourceRecordId', 'sourceReason', 'requiredOutcome', 'links',
] as const satisfies readonly (keyof WorkItem)[];
const PREREQUISITE_FIELDS = ['state', 'description', 'reason', 'waivedReason', 'waivedById', 'resolvedAt', 'validUntil', 'stateFact', 'descriptionFact'] as const satisfies readonly (keyof Prerequisite)[];
type ItemField = (typeof ITEM_FIELDS)[number];

/** A field's value in a form that compares with `===`: dates by time, JSON columns (links) by their text. */
const comparable = (value: unknown) => (value instanceof Date ? value.getTime() : typeof value === 'object' && value !== null ? JSON.stringify(value) : value);

/**
 * What one transaction changes in Work, held in memory and written when it ends, in one statement per kind
 * of row (items, new and changed prerequisites, history, events) whatever the number of items.
 *
 * Items are loaded locked (`FOR UPDATE`), with all their prerequisites, and stay in the set: every rule
 * (readiness, blockers, transitions) then runs on memory, and the event consumer loads what a whole group
 * of events touches in two or three statements. An item's readiness is therefore always computed from the
 * prerequisites the set holds, including ones raised earlier in the same transaction.
 */
export class ChangeSet {
  private readonly items = new Map<string, WorkItem>();
  private readonly prerequisites = new Map<string, Prerequisite[]>();
  private readonly loadedSources = new Set<string>();
  /** Loaded items by the source records of their prerequisites (`domain|recordId`), so a record's items are found without a pass over the set. */
  private readonly itemsBySource = new Map<string, Set<WorkItem>>();
  private readonly changedItems = new Set<WorkItem>();
  /** Each held item's fields as the database has them, so that a flush writes only the columns that changed. */
  private readonly stored = new Map<WorkItem, unknown[]>();
  private readonly newPrerequisites = new Set<Prerequisite>();
  private readonly changedPrerequisites = new Set<Prerequisite>();
  private transitions: Partial<Transition>[] = [];
  private events: NewEvent[] = [];
  /** Kept facts of the records looked up so far (`domain|recordId` → facts by `kind|target`), with this transaction's changes. */
  private readonly facts = new Map<string, Map<string, KeptFact>>();
  private factsToKeep = new Map<string, KeptFact>();
  private factsToDrop = new Map<string, KeptFact>();

  constructor(readonly manager: EntityManager) {}

  /**
   * Locks and loads the items not loaded yet, with their prerequisites: those with these ids (ids that do not
   * exist are left out) and every item with a prerequisite raised by one of these source records (looked up
   * once per record: a prerequisite a record raises later in the transaction is on an item the set holds).
   */
  async load(ids: Iterable<string>, sources: readonly PrerequisiteSource[] = []): Promise<void> {
    const missing = [...new Set(ids)].filter((id) => !this.items.has(id));
    const newSources = sources.filter((s) => !this.loadedSources.has(`${s.domain}|${s.recordId}`));
    if (!missing.length && !newSources.length) return;
    for (const s of newSources) this.loadedSources.add(`${s.domain}|${s.recordId}`);
    // One statement: the items named and the items the records raised prerequisites on, locked in id order
    // (two sets cannot deadlock); the ids are gathered first so the items are read by primary key.
    const rows = (await lockWorkItems(this.manager, missing, newSources)).filter((row) => !this.items.has(row.id)); // an item the set holds keeps its changes
    if (!rows.length) return;
    const prerequisites = await prerequisitesOfWorkItems(this.manager, rows.map((r) => r.id));
    for (const row of rows) {
      this.items.set(row.id, row);
      this.prerequisites.set(row.id, []);
      this.remember(row);
    }
    for (const p of prerequisites) {
      this.prerequisites.get(p.workItemId)!.push(p);
      this.indexSource(this.items.get(p.workItemId)!, p);
    }
  }

  private indexSource(item: WorkItem, p: Prerequisite): void {
    const key = `${p.sourceDomain}|${p.sourceRecordId}`;
    const items = this.itemsBySource.get(key);
    if (items) items.add(item);
    else this.itemsBySource.set(key, new Set([item]));
  }

  /** Reads the kept facts of the records not looked up yet, in one statement (see PrerequisiteFact). */
  async loadFacts(sources: readonly PrerequisiteSource[]): Promise<void> {
    const missing = uniqueSources(sources).filter((s) => !this.facts.has(`${s.domain}|${s.recordId}`));
    if (!missing.length) return;
    for (const s of missing) this.facts.set(`${s.domain}|${s.recordId}`, new Map());
    for (const row of await factsOfRecords(this.manager, missing)) this.facts.get(`${row.sourceDomain}|${row.sourceRecordId}`)!.set(`${row.kind}|${row.target}`, row);
  }

  /** The kept facts of a record, this transaction's included. */
  async factsOf(source: PrerequisiteSource): Promise<KeptFact[]> {
    await this.loadFacts([source]);
    return [...this.facts.get(`${source.domain}|${source.recordId}`)!.values()];
  }

  /** Keeps a fact unless a newer one of its record, kind and target is kept already; written at the end. */
  async keepFact(fact: KeptFact): Promise<void> {
    await this.loadFacts([{ domain: fact.sourceDomain, recordId: fact.sourceRecordId }]);
    const kept = this.facts.get(`${fact.sourceDomain}|${fact.sourceRecordId}`)!;
    const key = `${fact.kind}|${fact.target}`;
    const current = kept.get(key);
    if (current && current.factOrder > fact.factOrder) return;
    kept.set(key, fact);
    const full = factKey(fact);
    this.factsToDrop.delete(full);
    this.factsToKeep.set(full, fact);
  }

  /** Forgets a fact about one item once its blocker has taken it. */
  dropFact(fact: KeptFact): void {
    this.facts.get(`${fact.sourceDomain}|${fact.sourceRecordId}`)?.delete(`${fact.kind}|${fact.target}`);
    const full = factKey(fact);
    this.factsToKeep.delete(full);
    this.factsToDrop.set(full, fact);
  }

  /** A locked item, loaded if need be; NOT_FOUND when there is none. */
  async lock(id: string): Promise<WorkItem> {
    const workItemId = requireUuid(id);
    await this.load([workItemId]);
    const item = this.items.get(workItemId);
    if (!item) throw notFound('work item', id);
    return item;
  }

  /** Every loaded item, in id order. */
  loadedItems(): WorkItem[] {
    return byId([...this.items.values()]);
  }

  /** The loaded items with a prerequisite raised by this record, in id order. */
  itemsRaisedBy(source: PrerequisiteSource): WorkItem[] {
    return byId([...(this.itemsBySource.get(`${source.domain}|${source.recordId}`) ?? [])]);
  }

  /** An item created in this transaction (already inserted): later changes to it go through the set. */
  adopt(item: WorkItem): void {
    this.items.set(item.id, item);
    this.prerequisites.set(item.id, []);
    this.remember(item);
  }

  private remember(item: WorkItem): void {
    this.stored.set(item, ITEM_FIELDS.map((field) => comparable(item[field])));
  }

  /**
   * The fields any of these items changed since they were read or last written, in ITEM_FIELDS order (one
   * statement text per set of fields). A consumer's group mostly changes a status and a count: writing those
   * instead of all 31 columns of every item is most of what building and parsing the statement costs.
   */
  private changedFields(items: WorkItem[]): ItemField[] {
    const changed = new Set<ItemField>();
    for (const item of items) {
      const stored = this.stored.get(item);
      ITEM_FIELDS.forEach((field, i) => {
        if (!stored || comparable(item[field]) !== stored[i]) changed.add(field);
      });
    }
    // An item marked changed with no field changed still gets its version bumped, as before.
    return changed.size ? ITEM_FIELDS.filter((field) => changed.has(field)) : ['status'];
  }

  /** The prerequisites of a loaded item, oldest first. */
  prerequisitesOf(item: WorkItem): Prerequisite[] {
    return this.prerequisites.get(item.id) ?? [];
  }

  itemChanged(item: WorkItem): void {
    this.changedItems.add(item);
  }

  /** A new prerequisite on a loaded item; its id is given here, so events can name it before it is written. */
  addPrerequisite(item: WorkItem, fields: Omit<Prerequisite, 'id' | 'workItemId' | 'createdAt' | 'waivedReason' | 'waivedById' | 'stateFact' | 'descriptionFact' | 'validUntil'> & Partial<Prerequisite>): Prerequisite {
    const prerequisite = { waivedReason: null, waivedById: null, stateFact: null, descriptionFact: null, validUntil: null, ...fields, id: randomUUID(), workItemId: item.id, createdAt: new Date() } as Prerequisite;
    this.prerequisitesOf(item).push(prerequisite);
    this.indexSource(item, prerequisite);
    this.newPrerequisites.add(prerequisite);
    return prerequisite;
  }

  prerequisiteChanged(prerequisite: Prerequisite): void {
    if (!this.newPrerequisites.has(prerequisite)) this.changedPrerequisites.add(prerequisite);
  }

  /** An append-only history entry. */
  addTransition(item: WorkItem, from: WorkItem['status'] | null, caller: Caller, note: string | null): void {
    this.transitions.push({ workItemId: item.id, fromStatus: from, toStatus: item.status, actorId: caller.id, at: new Date(), note });
  }

  /**
   * An item's history as far as who performed it goes: its transitions into IN_PROGRESS or
   * AWAITING_VERIFICATION and who submitted its evidence, read in one statement (the item is locked, so
   * nothing is added meanwhile) together with the transitions this transaction has not written yet.
   */
  async performanceOf(item: WorkItem): Promise<PerformanceHistory> {
    const rows = await performanceOfWorkItem(this.manager, item.id);
    const pending = this.transitions.filter((t) => t.workItemId === item.id);
    return {
      transitions: [
        ...rows.filter((r) => r.toStatus !== null).map((r) => ({ actorId: r.actorId, fromStatus: r.fromStatus, toStatus: r.toStatus! })),
        ...pending.map((t) => ({ actorId: t.actorId!, fromStatus: t.fromStatus ?? null, toStatus: t.toStatus! })),
      ],
      evidenceSubmitters: rows.filter((r) => r.toStatus === null).map((r) => r.actorId),
    };
  }

  /** An event for the outbox; events are written in the order they are recorded. */
  record(event: NewEvent): void {
    this.events.push(event);
  }

  /** Writes everything changed so far, in order: items, prerequisites, history, then the events that describe them. */
  async flush(): Promise<void> {
    const items = [...this.changedItems];
    const created = [...this.newPrerequisites];
    const changed = [...this.changedPrerequisites];
    const transitions = this.transitions;
    const events = this.events;
    const keep = [...this.factsToKeep.values()];
    const drop = [...this.factsToDrop.values()];
    this.factsToKeep = new Map();
    this.factsToDrop = new Map();
    this.changedItems.clear();
    this.newPrerequisites.clear();
    this.changedPrerequisites.clear();
    this.transitions = [];
    this.events = [];
    if (items.length) {
      await updateWorkItems(this.manager, items, this.changedFields(items));
      for (const item of items) this.remember(item);
    }
    await insertPrerequisites(this.manager, created);
    await updatePrerequisites(this.manager, changed, PREREQUISITE_FIELDS);
    await insertTransitions(this.manager, transitions);
    await keepFacts(this.manager, keep);
    await dropFacts(this.manager, drop);
    if (events.length) await recordEvents(this.manager, events);
  }
}

/** A fact as kept, without the row's own recording time. */
export type KeptFact = Omit<PrerequisiteFact, 'recordedAt'>;
const factKey = (f: KeptFact) => `${f.sourceDomain}|${f.sourceRecordId}|${f.kind}|${f.target}`;
const uniqueSources = (sources: readonly PrerequisiteSource[]) => [...new Map(sources.map((s) => [`${s.domain}|${s.recordId}`, s])).values()];

const byId = (items: WorkItem[]) => items.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
