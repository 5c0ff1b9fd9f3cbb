import { randomUUID } from 'node:crypto';
import {
  DEAD_LETTER_TOPIC,
  DLQ_HEADERS,
  EVIDENCE_KINDS as CONTRACT_EVIDENCE_KINDS,
  PREREQUISITE_KINDS as CONTRACT_PREREQUISITE_KINDS,
  PRIORITIES as CONTRACT_PRIORITIES,
  SOURCE_DOMAINS as CONTRACT_SOURCE_DOMAINS,
  WORK_ITEM_STATUSES,
  WORK_ITEM_TYPES as CONTRACT_WORK_ITEM_TYPES,
  createTransport,
  parseEnvelope,
  payloadProblem,
  toMessage,
  topicOf,
  dataschemaOf,
  type PrerequisiteRequiredV1,
  type Transport,
  type WorkRequestedV1,
} from '@opsgraph/events';
import { eventually, ok, people, readTopic, startTestProducer, testBrokers, type TestProducer, type TestService } from '@opsgraph/testing';
import { SYSTEM_CALLER } from '@opsgraph/core';
import { createWorkItemIn, inTransaction } from '../src/domain/work-items';
import { EVIDENCE_KINDS, PREREQUISITE_KINDS, PRIORITIES, SOURCE_DOMAINS, STATUSES, WORK_ITEM_TYPES } from '../src/entities';
import { act, createItem, seedPlant, startWork, type Plant } from './fixtures';

let work: TestService;
let plant: Plant;
let transport: Transport;
let permits: TestProducer;
let hazards: TestProducer;

beforeAll(async () => {
  testBrokers(); // Work's background picks Kafka from KAFKA_BROKERS
  work = await startWork();
  plant = await seedPlant(work);
  transport = createTransport();
  permits = await startTestProducer('permits', transport);
  hazards = await startTestProducer('hazards', transport);
});
afterAll(async () => {
  await permits?.close();
  await hazards?.close();
  await transport?.close();
  await work?.stop();
});

const ITEM = `id status blocked holdReason source { domain recordId reason } prerequisites { kind state description sourceDomain sourceRecordId reason } history { to note }`;
const itemOf = async (id: string) => ok(await work.query(`query($id: ID!) { workItem(id: $id) { ${ITEM} } }`, { id })).workItem;
const itemsFrom = async (domain: string, recordId: string) =>
  ok(await work.query(`query($f: WorkItemFilter) { workItems(filter: $f) { totalCount edges { node { ${ITEM} title priority } } } }`, { f: { sourceDomain: domain, sourceRecordId: recordId } })).workItems;

const permitNeeded = (workItemId: string, permitId: string): PrerequisiteRequiredV1 => ({ workItemId, kind: 'PERMIT_VALID', sourceRecordId: permitId, description: 'Hot work permit issued' });

describe('Work consumes the generic work contracts over Kafka', () => {
  test('a permit blocks an item and releases it: outbox → relay → Kafka → Work, visible in the graph', async () => {
    const item = await createItem(work, plant);
    expect(item.status).toBe('READY');
    const permitId = randomUUID();
    await permits.record('prerequisite.required', permitId, permitNeeded(item.id, permitId), { requestId: 'req-permit-1' });

    const blocked = await eventually(async () => {
      const current = await itemOf(item.id);
      return current.status === 'OPEN' && current;
    });
    expect(blocked.blocked).toBe(true);
    expect(blocked.prerequisites).toEqual([{ kind: 'PERMIT_VALID', state: 'OPEN', description: 'Hot work permit issued', sourceDomain: 'PERMITS', sourceRecordId: permitId, reason: null }]);

    await permits.record('prerequisite.satisfied', permitId, { sourceRecordId: permitId, reason: 'permit issued' });
    const ready = await eventually(async () => {
      const current = await itemOf(item.id);
      return current.status === 'READY' && current;
    });
    expect(ready.prerequisites[0]).toMatchObject({ state: 'SATISFIED', reason: 'permit issued' });
    expect(ready.history.map((h: { to: string }) => h.to)).toEqual(['OPEN', 'READY', 'OPEN', 'READY']);

    await permits.record('prerequisite.reopened', permitId, { sourceRecordId: permitId, reason: 'permit suspended: gas alarm' });
    const reopened = await eventually(async () => {
      const current = await itemOf(item.id);
      return current.status === 'OPEN' && current;
    });
    expect(reopened.prerequisites[0]).toMatchObject({ state: 'OPEN', reason: 'permit suspended: gas alarm' });

    // Work's own events went out through its relay, carrying the request id of the permit event that caused them.
    const workEvents = await readTopic(transport, topicOf('work'), (ms) => ms.filter((m) => m.key === item.id).length >= 6);
    expect(workEvents.filter((m) => m.key === item.id).map((m) => m.headers.ce_type)).toEqual([
      'opsgraph.work.work_item.created',
      'opsgraph.work.work_item.ready',
      'opsgraph.work.prerequisite.raised',
      'opsgraph.work.work_item.blocked',
      'opsgraph.work.work_item.ready',
      'opsgraph.work.work_item.blocked',
    ]);
    const raised = workEvents.find((m) => m.key === item.id && m.headers.ce_type === 'opsgraph.work.prerequisite.raised')!;
    expect(raised.headers.ce_requestid).toBe('req-permit-1');
    expect(JSON.parse(raised.value.toString())).toMatchObject({ workItemId: item.id, prerequisiteSourceDomain: 'PERMITS', prerequisiteSourceRecordId: permitId, prerequisiteState: 'OPEN' });
    for (const message of workEvents) {
      const event = parseEnvelope(message);
      expect(payloadProblem(event.type, event.version, event.data, 'consume')).toBeNull();
    }
  });

  test('work.requested creates one item per request id, sourced from the producing domain', async () => {
    const incidentId = randomUUID();
    const request: WorkRequestedV1 = {
      requestId: `incident:${incidentId}:action:1`,
      siteId: plant.siteId,
      assetId: plant.assetId,
      type: 'CORRECTIVE_ACTION',
      title: 'Fit guard on feed pump coupling',
      priority: 'HIGH',
      sourceRecordId: incidentId,
      reason: 'Near miss: coupling exposed',
      requiredOutcome: { acceptanceCriteria: 'Guard fitted', evidence: [{ kind: 'PHOTO', label: 'Guard fitted' }] },
      prerequisites: [{ kind: 'HAZARD_CONTROL_IN_PLACE', description: 'Area barriered', sourceRecordId: `${incidentId}:barrier` }],
    };
    // The very same event delivered twice, then the same request again (the producer retried); one key,
    // so Work sees them in this order.
    const first = await hazards.record('work.requested', incidentId, request);
    await hazards.relay.flush();
    const [row] = await hazards.db.query('SELECT * FROM outbox WHERE event_id = $1', [first]);
    await transport.publish([toMessage({ ...row, eventId: row.event_id, key: row.message_key })]);
    await hazards.record('work.requested', incidentId, { ...request, title: 'a retry must not create or change anything' });

    const items = await eventually(async () => {
      const found = await itemsFrom('HAZARDS', incidentId);
      // The page and its count are two statements: wait until both have seen the commit.
      return found.totalCount === 1 && found.edges.length === 1 && found;
    });
    const created = items.edges[0].node;
    expect(created).toMatchObject({ title: 'Fit guard on feed pump coupling', priority: 'HIGH', status: 'OPEN', source: { domain: 'HAZARDS', recordId: incidentId, reason: 'Near miss: coupling exposed' } });
    expect(created.prerequisites).toEqual([expect.objectContaining({ kind: 'HAZARD_CONTROL_IN_PLACE', state: 'OPEN', sourceDomain: 'HAZARDS', sourceRecordId: `${incidentId}:barrier` })]);
    // The retry (last of the three) was handled, so all three were.
    await eventually(async () => (await work.db.query(`SELECT count(*)::int AS n FROM inbox WHERE type = 'opsgraph.hazards.work.requested'`))[0].n >= 2);
    expect((await itemsFrom('HAZARDS', incidentId)).totalCount).toBe(1);
    const requests = await work.db.query('SELECT source_domain, request_id, work_item_id, event_id FROM work_request WHERE request_id = $1', [request.requestId]);
    expect(requests).toEqual([{ source_domain: 'HAZARDS', request_id: request.requestId, work_item_id: created.id, event_id: first }]);

    // The barrier is in place: the hazards domain clears its own blocker.
    await hazards.record('prerequisite.satisfied', `${incidentId}:barrier`, { sourceRecordId: `${incidentId}:barrier`, kind: 'HAZARD_CONTROL_IN_PLACE' });
    await eventually(async () => (await itemOf(created.id)).status === 'READY');
  });

  test('a blocker that arrives before its item is committed is parked, then applied', async () => {
    const permitId = randomUUID();
    const early = await work.db.transaction(async (manager) => {
      const item = await inTransaction(manager, SYSTEM_CALLER, undefined, (ctx) => createWorkItemIn(ctx, { type: 'MAINTENANCE', title: 'Replace gasket', siteId: plant.siteId, assetId: plant.assetId }));
      await permits.record('prerequisite.required', permitId, permitNeeded(item.id, permitId));
      // Work sees the event while the item's transaction is still open: "not yet".
      await eventually(async () => (await work.db.query('SELECT reason FROM parked_event WHERE message_key = $1', [permitId])).length === 1);
      return item;
    });
    const [parked] = await work.db.query('SELECT reason, consumer FROM parked_event WHERE message_key = $1', [permitId]);
    expect(parked).toEqual({ reason: `work item ${early.id} does not exist yet`, consumer: 'work' });
    const applied = await eventually(async () => {
      const current = await itemOf(early.id);
      return current.prerequisites.length === 1 && current.blocked && current; // root row and nested rows are separate reads
    }, 20_000);
    expect(applied).toMatchObject({ status: 'OPEN', blocked: true });
    expect(await work.db.query('SELECT * FROM parked_event WHERE message_key = $1', [permitId])).toEqual([]);
  });

  test('work.hold_requested holds the open work on an asset', async () => {
    const item = await createItem(work, plant, { title: 'Lubricate bearings' });
    const incidentId = randomUUID();
    await hazards.record('work.hold_requested', incidentId, { assetId: plant.assetId, reason: 'Serious incident on P-301: investigation', sourceRecordId: incidentId });
    const held = await eventually(async () => {
      const current = await itemOf(item.id);
      return current.status === 'ON_HOLD' && current;
    });
    expect(held.holdReason).toBe('Serious incident on P-301: investigation');
    // Closed: the asset is no longer held, so the work raised on it below starts as usual.
    await hazards.record('work.hold_released', incidentId, { sourceRecordId: incidentId, reason: 'incident closed' });
    await eventually(async () => (await work.db.query('SELECT released_at FROM asset_hold WHERE source_record_id = $1', [incidentId]))[0]?.released_at);
  });

  test('an event Work refuses is dead-lettered with the reason, and later events still apply', async () => {
    const cancelled = await createItem(work, plant, { title: 'Paint handrail' });
    ok(await act(work, 'cancelWork', { id: cancelled.id, reason: 'not needed' }, people.supervisor));
    const other = await createItem(work, plant, { title: 'Check alignment' });
    const permitId = randomUUID();
    await permits.record('prerequisite.required', permitId, permitNeeded(cancelled.id, permitId));
    await permits.record('prerequisite.required', permitId, permitNeeded(other.id, permitId));
    await eventually(async () => (await itemOf(other.id)).status === 'OPEN');
    const dead = await readTopic(transport, DEAD_LETTER_TOPIC, (ms) => ms.some((m) => m.key === permitId));
    const refused = dead.find((m) => m.key === permitId)!;
    expect(refused.headers[DLQ_HEADERS.reason]).toBe('rejected by handler: ILLEGAL_TRANSITION: cannot add a prerequisite to a work item that is CANCELLED');
    expect(refused.headers[DLQ_HEADERS.consumer]).toBe('work');
    expect(JSON.parse(refused.value.toString()).workItemId).toBe(cancelled.id);
  });

  test('a payload that breaks the contract never reaches Work: dead-lettered', async () => {
    const permitId = randomUUID();
    await transport.publish([
      toMessage({
        eventId: randomUUID(),
        topic: topicOf('permits'),
        key: permitId,
        type: 'opsgraph.permits.prerequisite.required',
        source: '/opsgraph/permits',
        subject: permitId,
        time: new Date(),
        dataschema: dataschemaOf('permits', 'prerequisite.required'),
        data: { workItemId: 'WI-1', kind: 'PERMIT_VALID', sourceRecordId: permitId, description: 'x' },
        headers: {},
      }),
    ]);
    const dead = await readTopic(transport, DEAD_LETTER_TOPIC, (ms) => ms.some((m) => m.key === permitId));
    expect(dead.find((m) => m.key === permitId)!.headers[DLQ_HEADERS.reason]).toBe('invalid payload: data/workItemId must match format "uuid"');
  });

  test("the contract's enums are Work's", () => {
    expect(CONTRACT_WORK_ITEM_TYPES).toEqual(WORK_ITEM_TYPES);
    expect(WORK_ITEM_STATUSES).toEqual(STATUSES);
    expect(CONTRACT_PRIORITIES).toEqual(PRIORITIES);
    expect(CONTRACT_PREREQUISITE_KINDS).toEqual(PREREQUISITE_KINDS);
    expect(CONTRACT_SOURCE_DOMAINS).toEqual(SOURCE_DOMAINS);
    expect(CONTRACT_EVIDENCE_KINDS).toEqual(EVIDENCE_KINDS);
  });
});
