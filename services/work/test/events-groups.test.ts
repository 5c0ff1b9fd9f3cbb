import { randomBytes, randomUUID } from 'node:crypto';
import { SYSTEM_CALLER, dropDatabase, openDatabase, statementScope } from '@opsgraph/core';
import { PostgresTransport, startConsumer } from '@opsgraph/events';
import { eventually, startTestProducer } from '@opsgraph/testing';
import type { DataSource } from 'typeorm';
import { workConsumer } from '../src/consumer';
import { createAsset, createSite } from '../src/domain/locations';
import { createWorkItemIn, inTransaction } from '../src/domain/work-items';
import { entities } from '../src/entities';
import { migrations } from '../src/migrations';

/**
 * Work applies a group of events in one transaction through one change set (items and prerequisites loaded
 * at once, every change written at the end). These tests play the same script of events through a group and
 * event by event (a group of one) and require the same outcome, row for row and event for event, for a
 * fraction of the statements.
 */
const ITEMS = 30;

interface Run {
  applied: number;
  statements: number;
  items: unknown[];
  prerequisites: unknown[];
  transitions: unknown[];
  events: unknown[];
  parked: unknown[];
}

/** Items, two sources and one missing item; the same script for every run (the ids of records are fixed). */
const permitIds = Array.from({ length: ITEMS }, () => randomUUID());
const documentId = randomUUID();
const missingItem = randomUUID();
const permitOfMissing = randomUUID();
const incidentId = randomUUID();

async function play(groupSize: number): Promise<Run> {
  const suffix = randomBytes(4).toString('hex');
  const workDatabase = `test_work_groups_${suffix}`;
  const busDatabase = `test_bus_groups_${suffix}`;
  const work: DataSource = await openDatabase({ database: workDatabase, entities, migrations, poolSize: 4 });
  const transport = new PostgresTransport({ database: busDatabase });
  const permits = await startTestProducer('permits', transport);
  try {
    const site = await createSite(work.manager, SYSTEM_CALLER, { code: 'GRP', name: 'Group plant' });
    const asset = await createAsset(work.manager, SYSTEM_CALLER, { siteId: site.id, code: 'P-1', name: 'Pump' });
    const items: string[] = [];
    await work.transaction((m) =>
      inTransaction(m, SYSTEM_CALLER, undefined, async (ctx) => {
        for (let i = 0; i < ITEMS; i++) items.push((await createWorkItemIn(ctx, { type: 'MAINTENANCE', title: `Item ${String(i).padStart(2, '0')}`, siteId: site.id, assetId: i < 20 ? null : asset.id })).id);
      }),
    );
    const name = new Map([...items.map((id, i): [string, string] => [id, `Item ${String(i).padStart(2, '0')}`]), [site.id, 'site'], [asset.id, 'asset']]);
    // A running item: its new blockers report it blocked instead of moving it.
    await work.query(`UPDATE work_item SET status = 'IN_PROGRESS' WHERE id = $1`, [items[25]]);

    // Every event is written before Work consumes, so they reach it in one batch.
    const permit = (i: number) => ({ workItemId: items[i], kind: 'PERMIT_VALID', sourceRecordId: permitIds[i], description: `Permit ${i}` });
    await permits.recordAll([
      ...items.map((_, i) => ({ type: 'prerequisite.required', subject: permitIds[i], data: permit(i) })),
      { type: 'prerequisite.required', subject: permitOfMissing, data: { workItemId: missingItem, kind: 'PERMIT_VALID', sourceRecordId: permitOfMissing, description: 'For an item not there yet' } },
      { type: 'prerequisite.satisfied', subject: permitOfMissing, data: { sourceRecordId: permitOfMissing } },
    ]);
    await permits.recordAll([
      ...items.slice(0, 20).map((_, i) => ({ type: 'prerequisite.satisfied', subject: permitIds[i], data: { sourceRecordId: permitIds[i], reason: 'issued' } })),
      ...items.slice(0, 5).map((_, i) => ({ type: 'prerequisite.reopened', subject: permitIds[i], data: { sourceRecordId: permitIds[i], reason: 'suspended' } })),
      // A record raised again: the same blocker is updated, not doubled.
      { type: 'prerequisite.required', subject: permitIds[10], data: { ...permit(10), description: 'Permit 10, revised', state: 'SATISFIED' } },
      ...items.slice(0, 10).map((id) => ({ type: 'prerequisite.required', subject: documentId, data: { workItemId: id, kind: 'DOCUMENT_ACKNOWLEDGED', sourceRecordId: documentId, description: 'Read SOP-7' } })),
      { type: 'prerequisite.satisfied', subject: documentId, data: { sourceRecordId: documentId, workItemIds: items.slice(0, 4) } },
    ]);
    // On the same topic as the rest, so it comes last in every run (a hold from hazards would race them).
    await permits.record('work.hold_requested', incidentId, { assetId: asset.id, reason: 'Serious incident on the pump', sourceRecordId: incidentId });
    const recorded = ITEMS + 2 + 20 + 5 + 1 + 10 + 1 + 1;

    const scope = { count: 0 };
    const consumer = await statementScope.run(scope, () => startConsumer(work, transport, { ...workConsumer, groupSize, parkedRetryMs: 60_000 }));
    try {
      // Everything applied but the missing item's two events, which wait for it.
      await eventually(async () => consumer.stats.applied === recorded - 2 && consumer.stats.parked === 2, 60_000).catch((err) => {
        throw new Error(`${(err as Error).message}; consumer: ${JSON.stringify(consumer.stats)}`);
      });
    } finally {
      await consumer.stop();
    }

    const named = (value: unknown): unknown =>
      typeof value === 'string' ? (name.get(value) ?? value) : Array.isArray(value) ? value.map(named) : value && typeof value === 'object' ? Object.fromEntries(Object.entries(value).filter(([k]) => k !== 'prerequisiteId').map(([k, v]) => [k, named(v)])) : value;
    return {
      applied: consumer.stats.applied,
      statements: scope.count,
      items: named(await work.query(`SELECT id, status, open_prerequisites, held_from, hold_reason FROM work_item ORDER BY title`)) as unknown[],
      prerequisites: named(await work.query(`SELECT p.work_item_id, p.kind, p.source_record_id, p.state, p.description, p.reason, p.resolved_at IS NOT NULL AS resolved FROM prerequisite p JOIN work_item w ON w.id = p.work_item_id ORDER BY w.title, p.kind, p.source_record_id`)) as unknown[],
      // Per item, in order (items are taken in id order, and ids differ from run to run).
      transitions: named(await work.query(`SELECT t.work_item_id, t.from_status, t.to_status, t.note FROM transition t JOIN work_item w ON w.id = t.work_item_id ORDER BY w.title, t.id`)) as unknown[],
      events: named(await work.query(`SELECT o.type, o.subject, o.data, o.headers->>'requestid' IS NOT NULL AS has_request FROM outbox o JOIN work_item w ON w.id::text = o.subject ORDER BY w.title, o.id`)) as unknown[],
      parked: await work.query(`SELECT message_key, reason FROM parked_event ORDER BY seq`),
    };
  } finally {
    await permits.close();
    await transport.close();
    await work.destroy();
    await dropDatabase(workDatabase);
    await dropDatabase(busDatabase);
  }
}

let grouped: Run;
let oneByOne: Run;
beforeAll(async () => {
  grouped = await play(250);
  oneByOne = await play(1);
}, 180_000);

test('a group in one transaction ends exactly as the same events applied one by one', () => {
  expect(grouped.items).toEqual(oneByOne.items);
  expect(grouped.prerequisites).toEqual(oneByOne.prerequisites);
  expect(grouped.transitions).toEqual(oneByOne.transitions);
  expect(grouped.events).toEqual(oneByOne.events);
  expect(grouped.parked).toEqual(oneByOne.parked);
});

test('the script did what it says: blocked, released, re-blocked, held, parked', () => {
  const items = grouped.items as { id: string; status: string; open_prerequisites: number; held_from: string | null }[];
  const item = (n: number) => items.find((i) => i.id === `Item ${String(n).padStart(2, '0')}`)!;
  expect(item(0)).toMatchObject({ status: 'OPEN', open_prerequisites: 1 }); // permit reopened; the document read
  expect(item(5)).toMatchObject({ status: 'OPEN', open_prerequisites: 1 }); // permit issued; the document still to read
  expect(item(10)).toMatchObject({ status: 'READY', open_prerequisites: 0 }); // permit raised again, satisfied
  expect(item(15)).toMatchObject({ status: 'READY', open_prerequisites: 0 });
  expect(item(21)).toMatchObject({ status: 'ON_HOLD', open_prerequisites: 1, held_from: 'OPEN' }); // on the pump
  expect(item(25)).toMatchObject({ status: 'ON_HOLD', held_from: 'IN_PROGRESS' });
  // The rows agree with the counts the items carry.
  const prerequisites = grouped.prerequisites as { work_item_id: string; state: string; kind: string; reason: string | null; description: string }[];
  for (const i of items) expect(prerequisites.filter((p) => p.work_item_id === i.id && p.state === 'OPEN').length).toBe(i.open_prerequisites);
  expect(prerequisites.filter((p) => p.work_item_id === 'Item 00')).toMatchObject([
    { kind: 'DOCUMENT_ACKNOWLEDGED', state: 'SATISFIED' },
    { kind: 'PERMIT_VALID', state: 'OPEN', reason: 'suspended' },
  ]);
  expect(prerequisites.filter((p) => p.work_item_id === 'Item 10')).toMatchObject([{ kind: 'PERMIT_VALID', state: 'SATISFIED', description: 'Permit 10, revised' }]);
  const events = grouped.events as { type: string; subject: string }[];
  expect(events.filter((e) => e.subject === 'Item 25').map((e) => e.type)).toEqual(['opsgraph.work.work_item.created', 'opsgraph.work.work_item.ready', 'opsgraph.work.prerequisite.raised', 'opsgraph.work.work_item.blocked', 'opsgraph.work.work_item.held']);
  expect(grouped.parked).toHaveLength(2);
});

test('a group costs a handful of statements, not several per event', () => {
  // One by one, each event costs a transaction of its own (about ten statements); a group shares them.
  expect(oneByOne.statements).toBeGreaterThan(5 * oneByOne.applied);
  expect(grouped.statements).toBeLessThan(oneByOne.statements / 8);
});
