import { randomBytes, randomUUID } from 'node:crypto';
import { SYSTEM_CALLER, dropDatabase, openDatabase } from '@opsgraph/core';
import { ceType, dataschemaOf, topicOf, validatePayload, type CloudEvent, type EventUnit } from '@opsgraph/events';
import type { DataSource } from 'typeorm';
import { workConsumer } from '../src/consumer';
import { createAsset, createSite } from '../src/domain/locations';
import { createWorkItemIn, inTransaction } from '../src/domain/work-items';
import { entities } from '../src/entities';
import { migrations } from '../src/migrations';

/**
 * Work's outcome does not depend on the order events reach it. One fixed set of change, permit and competence
 * events (a rejected change with a task and gated work, an approved change whose task also waits for a permit,
 * a permit issued and suspended, a qualification granted, lapsed and renewed) is applied by Work's own consumer
 * handlers, in groups sharing one transaction as the consumer applies them, to a real Work database: in the
 * order the sources wrote them, then in 30 seeded pseudo-random orders, some with events delivered twice. Every
 * order must end with the same items and blockers (state, description, reason) as the written order.
 */
let db: DataSource;
let database: string;
let siteId: string;
let assetId: string;

beforeAll(async () => {
  database = `test_work_order_${randomBytes(4).toString('hex')}`;
  db = await openDatabase({ database, entities, migrations, poolSize: 2 });
  siteId = (await createSite(db.manager, SYSTEM_CALLER, { code: 'ORD', name: 'Order plant' })).id;
  assetId = (await createAsset(db.manager, SYSTEM_CALLER, { siteId, code: 'P-301', name: 'Feed pump' })).id;
}, 60_000);
afterAll(async () => {
  await db?.destroy();
  if (database) await dropDatabase(database);
});

/** mulberry32: the same orders in every run of the test. */
function random(seed: number) {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

type Domain = 'change' | 'permits' | 'competence';

/** An envelope as Work's consumer receives it, its payload checked against the contract. */
function envelope(domain: Domain, type: string, subject: string, data: Record<string, unknown>, time: Date): CloudEvent {
  validatePayload(ceType(domain, type), 1, data);
  return { id: randomUUID(), source: `/opsgraph/${domain}`, type: ceType(domain, type), subject, time, dataschema: dataschemaOf(domain, type), version: 1, data, topic: topicOf(domain), key: subject };
}

interface Script {
  events: CloudEvent[];
  /** Ids of this run → names, so runs compare. */
  names: Map<string, string>;
  workItemId: string;
  changeIds: string[];
}

/** The events of one run with fresh record ids, in the order their sources wrote them (a second apart). */
async function script(): Promise<Script> {
  const [rejected, approved, permit, lineBreakingPermit] = [randomUUID(), randomUUID(), randomUUID(), randomUUID()];
  const holding = `${randomUUID()}:HOT-WORK`;
  // Work on the pump raised by a person: the change gates it, the permit and the owner's qualification block it.
  const gated = await db.transaction((manager) =>
    inTransaction(manager, SYSTEM_CALLER, undefined, (ctx) => createWorkItemIn(ctx, { type: 'MAINTENANCE', title: 'Weld new bracket on P-301', siteId, assetId })),
  );
  const start = Date.now() - 3600_000;
  let second = 0;
  const at = () => new Date(start + 1000 * second++);
  const fact = (extra: Record<string, unknown>) => ({
    number: 'MOC-000001', changeType: 'PERMANENT', riskRating: 'MEDIUM', siteIds: [siteId], areaIds: [], lineIds: [], assetIds: [assetId], documentIds: [], endDate: null, ...extra,
  });
  const mustBeApproved = (n: string) => `Change ${n} "Remove bypass line" must be approved before this work goes ahead`;
  const task = (changeId: string, n: string, prerequisites: Record<string, unknown>[]) => ({
    requestId: `change:${changeId}:task:1`, siteId, assetId, type: 'MAINTENANCE', title: `Task of ${n}`, sourceRecordId: changeId, reason: `Implementation of change ${n}`, prerequisites,
  });
  let rejection = new Date(0);
  const events = [
    envelope('change', 'work.requested', rejected, task(rejected, 'MOC-000001', [{ kind: 'CHANGE_APPROVED', sourceRecordId: rejected, description: mustBeApproved('MOC-000001') }]), at()),
    envelope('change', 'prerequisite.required', rejected, { workItemId: gated.id, siteId, kind: 'CHANGE_APPROVED', sourceRecordId: rejected, description: mustBeApproved('MOC-000001'), state: 'OPEN', reason: 'asset in the scope of change MOC-000001 (SUBMITTED)' }, at()),
    envelope('change', 'work.requested', approved, task(approved, 'MOC-000002', [
      { kind: 'CHANGE_APPROVED', sourceRecordId: approved, description: mustBeApproved('MOC-000002') },
      // A blocker another domain clears: its release may reach Work before this request does.
      { kind: 'PERMIT_VALID', sourceDomain: 'PERMITS', sourceRecordId: lineBreakingPermit, description: 'Line breaking permit issued' },
    ]), at()),
    envelope('permits', 'prerequisite.required', permit, { workItemId: gated.id, siteId, kind: 'PERMIT_VALID', sourceRecordId: permit, description: 'Hot work permit issued', state: 'OPEN', reason: null }, at()),
    envelope('competence', 'prerequisite.required', holding, { workItemId: gated.id, siteId, kind: 'COMPETENCE_HELD', sourceRecordId: holding, description: 'Owner holds Hot work (HOT-WORK)', state: 'OPEN', reason: 'HOT-WORK not held' }, at()),
    // Rejected before the change heard of its task: it releases the gated work and says nothing to the task.
    envelope('change', 'change_request.status_changed', rejected, fact({ changeId: rejected, status: 'REJECTED', from: 'IN_REVIEW', actorId: randomUUID(), note: 'No isolation plan' }), (rejection = at())),
    envelope('change', 'prerequisite.satisfied', rejected, { sourceRecordId: rejected, kind: 'CHANGE_APPROVED', workItemIds: [gated.id], reason: 'change MOC-000001 was rejected: the work no longer waits for it' }, rejection),
    envelope('change', 'prerequisite.satisfied', approved, { sourceRecordId: approved, kind: 'CHANGE_APPROVED', reason: 'change MOC-000002 approved' }, at()),
    envelope('permits', 'prerequisite.satisfied', lineBreakingPermit, { sourceRecordId: lineBreakingPermit, kind: 'PERMIT_VALID', reason: 'permit PTW-ORD-0002 issued' }, at()),
    envelope('permits', 'prerequisite.satisfied', permit, { sourceRecordId: permit, kind: 'PERMIT_VALID', reason: 'permit PTW-ORD-0001 issued' }, at()),
    envelope('competence', 'prerequisite.satisfied', holding, { sourceRecordId: holding, kind: 'COMPETENCE_HELD', workItemIds: [gated.id], reason: 'HOT-WORK held until 2027-06-01' }, at()),
    envelope('permits', 'prerequisite.reopened', permit, { sourceRecordId: permit, kind: 'PERMIT_VALID', reason: 'permit PTW-ORD-0001 suspended: gas test out of limits' }, at()),
    envelope('competence', 'prerequisite.reopened', holding, { sourceRecordId: holding, kind: 'COMPETENCE_HELD', workItemIds: [gated.id], reason: 'HOT-WORK expired on 2026-12-01' }, at()),
    envelope('competence', 'prerequisite.satisfied', holding, { sourceRecordId: holding, kind: 'COMPETENCE_HELD', workItemIds: [gated.id], reason: 'HOT-WORK held until 2027-12-01' }, at()),
  ];
  const names = new Map([
    [gated.id, 'gated work'], [rejected, 'rejected change'], [approved, 'approved change'], [permit, 'hot work permit'], [lineBreakingPermit, 'line breaking permit'], [holding, 'HOT-WORK holding'],
  ]);
  return { events, names, workItemId: gated.id, changeIds: [rejected, approved] };
}

/** Applies events as the consumer does: each group in one transaction, through the unit of work its events open. */
async function apply(events: CloudEvent[], groups: number[]): Promise<void> {
  let next = 0;
  for (const size of groups) {
    const group = events.slice(next, next + size);
    next += size;
    if (!group.length) continue;
    await db.transaction(async (manager) => {
      const unit = (await workConsumer.unitOfWork!(manager, group)) as EventUnit;
      for (const event of group) await workConsumer.handlers[event.type](event, manager, unit);
      await unit.flush();
    });
  }
}

/** What people see of this run's work: items with their status and open count, every blocker with its words. */
async function finalState(run: Script) {
  const name = (id: string) => run.names.get(id) ?? id;
  const items: { id: string; title: string; status: string; open: number; source: string | null }[] = await db.query(
    `SELECT id, title, status, open_prerequisites AS open, source_record_id AS source FROM work_item WHERE id = $1 OR source_record_id = ANY($2) ORDER BY title`,
    [run.workItemId, run.changeIds],
  );
  const prerequisites: { item: string; kind: string; source: string; state: string; description: string; reason: string | null; resolved: boolean }[] = await db.query(
    `SELECT w.title AS item, p.kind, p.source_record_id AS source, p.state, p.description, p.reason, p.resolved_at IS NOT NULL AS resolved
       FROM prerequisite p JOIN work_item w ON w.id = p.work_item_id WHERE w.id = ANY($1) ORDER BY w.title, p.kind, p.source_domain`,
    [items.map((i) => i.id)],
  );
  return {
    items: items.map((i) => ({ title: i.title, status: i.status, open: i.open, source: i.source && name(i.source) })),
    prerequisites: prerequisites.map((p) => ({ ...p, source: name(p.source) })),
  };
}

const one = (n: number) => Array.from({ length: n }, () => 1);

test('the same events end in the same state in every order, with duplicates, alone or in groups', async () => {
  const written = await script();
  await apply(written.events, one(written.events.length));
  const expected = await finalState(written);

  // The written order does what the sources meant.
  expect(expected.items).toEqual([
    { title: 'Task of MOC-000001', status: 'OPEN', open: 1, source: 'rejected change' },
    { title: 'Task of MOC-000002', status: 'READY', open: 0, source: 'approved change' },
    { title: 'Weld new bracket on P-301', status: 'OPEN', open: 1, source: null },
  ]);
  expect(expected.prerequisites).toEqual([
    {
      item: 'Task of MOC-000001', kind: 'CHANGE_APPROVED', source: 'rejected change', state: 'OPEN', resolved: false,
      description: 'Change MOC-000001 was rejected: this implementation work must not go ahead; cancel it',
      reason: 'change MOC-000001 was rejected: this implementation work must not go ahead',
    },
    { item: 'Task of MOC-000002', kind: 'CHANGE_APPROVED', source: 'approved change', state: 'SATISFIED', resolved: true, description: 'Change MOC-000002 "Remove bypass line" must be approved before this work goes ahead', reason: 'change MOC-000002 approved' },
    { item: 'Task of MOC-000002', kind: 'PERMIT_VALID', source: 'line breaking permit', state: 'SATISFIED', resolved: true, description: 'Line breaking permit issued', reason: 'permit PTW-ORD-0002 issued' },
    { item: 'Weld new bracket on P-301', kind: 'CHANGE_APPROVED', source: 'rejected change', state: 'SATISFIED', resolved: true, description: 'Change MOC-000001 "Remove bypass line" must be approved before this work goes ahead', reason: 'change MOC-000001 was rejected: the work no longer waits for it' },
    { item: 'Weld new bracket on P-301', kind: 'COMPETENCE_HELD', source: 'HOT-WORK holding', state: 'SATISFIED', resolved: true, description: 'Owner holds Hot work (HOT-WORK)', reason: 'HOT-WORK held until 2027-12-01' },
    { item: 'Weld new bracket on P-301', kind: 'PERMIT_VALID', source: 'hot work permit', state: 'OPEN', resolved: false, description: 'Hot work permit issued', reason: 'permit PTW-ORD-0001 suspended: gas test out of limits' },
  ]);

  const next = random(23);
  const pick = <T>(list: T[]) => list[Math.floor(next() * list.length)];
  let reversedOnce = false;
  for (let run = 0; run < 30; run++) {
    const current = await script();
    const order = [...current.events];
    if (!reversedOnce) {
      order.reverse(); // the worst order first: every release before what it releases
      reversedOnce = true;
    } else {
      for (let i = order.length - 1; i > 0; i--) {
        const j = Math.floor(next() * (i + 1));
        [order[i], order[j]] = [order[j], order[i]];
      }
    }
    // Every third order delivers some events twice (a redelivery after a crash, a producer's retry).
    if (run % 3 === 2) for (let d = 1 + Math.floor(next() * 4); d > 0; d--) order.splice(Math.floor(next() * (order.length + 1)), 0, pick(current.events));
    // Half the orders apply one event per transaction, the others groups of up to four.
    const groups = run % 2 ? Array.from({ length: order.length }, () => 1 + Math.floor(next() * 4)) : one(order.length);
    await apply(order, groups);
    const state = await finalState(current);
    try {
      expect(state).toEqual(expected);
    } catch (err) {
      const types = order.map((e) => `${e.type.replace(/^opsgraph\./, '')}@${current.names.get(e.subject) ?? e.subject}`);
      throw new Error(`order ${run} (${types.join(', ')}) ended differently:\n${(err as Error).message}`);
    }
  }
}, 120_000);
