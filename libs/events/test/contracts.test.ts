import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import {
  DOMAINS,
  EnvelopeError,
  EventContractError,
  SUPPORTING_DOMAINS,
  contractOf,
  eventCatalog,
  outboxEntities,
  outboxMigrations,
  parseEnvelope,
  payloadProblem,
  recordEvent,
  toMessage,
  validatePayload,
  type ReceivedMessage,
} from '@opsgraph/events';
import { testDatabase } from '@opsgraph/testing';
import { ASYNCAPI_PATH, README_PATH, renderAsyncApi, renderReadme } from '../src/asyncapi';

const required = (workItemId = randomUUID()) => ({ workItemId, kind: 'PERMIT_VALID', sourceRecordId: 'permit-1', description: 'Hot work permit issued' });

describe('contract registry', () => {
  test('every supporting domain offers the generic work contracts; Work publishes its own facts', () => {
    for (const domain of SUPPORTING_DOMAINS) {
      for (const type of ['work.requested', 'prerequisite.required', 'prerequisite.satisfied', 'prerequisite.reopened', 'work.hold_requested']) {
        expect(contractOf(`opsgraph.${domain}.${type}`, 1)?.topic).toBe(`opsgraph.${domain}.v1`);
      }
    }
    expect(contractOf('opsgraph.work.work.requested', 1)).toBeUndefined();
    expect(contractOf('opsgraph.work.work_item.verified', 1)?.dataschema).toBe('urn:opsgraph:schema:work.work_item.verified:v1');
    expect(new Set(eventCatalog().map((e) => e.domain))).toEqual(new Set(DOMAINS));
  });

  test('every registered schema compiles and refuses an empty payload', () => {
    for (const e of eventCatalog()) {
      expect(payloadProblem(e.ceType, e.contract.version, {}, 'produce')).toMatch(/must have required property/);
      expect(payloadProblem(e.ceType, e.contract.version, {}, 'consume')).toMatch(/must have required property/);
    }
  });

  test('unknown types and versions are invalid', () => {
    expect(() => validatePayload('opsgraph.permits.permit.teleported', 1, {})).toThrow(new EventContractError('opsgraph.permits.permit.teleported v1: unknown event type opsgraph.permits.permit.teleported v1'));
    expect(payloadProblem('opsgraph.permits.prerequisite.required', 2, required(), 'consume')).toBe('unknown event type opsgraph.permits.prerequisite.required v2');
  });

  test('producers are held to the exact contract; consumers accept additive fields', () => {
    const payload = { ...required(), addedLater: true };
    expect(payloadProblem('opsgraph.permits.prerequisite.required', 1, payload, 'produce')).toBe('data must NOT have additional properties');
    expect(payloadProblem('opsgraph.permits.prerequisite.required', 1, payload, 'consume')).toBeNull();
    expect(payloadProblem('opsgraph.permits.prerequisite.required', 1, { ...required(), kind: 'PERMIT' }, 'consume')).toMatch(/data\/kind must be equal to one of the allowed values/);
    expect(payloadProblem('opsgraph.permits.prerequisite.required', 1, { ...required(), workItemId: 'WI-1' }, 'consume')).toBe('data/workItemId must match format "uuid"');
  });

  test('work.requested accepts a full request and refuses nested mistakes', () => {
    const request = {
      requestId: 'incident:42:action:1',
      siteId: randomUUID(),
      assetId: randomUUID(),
      areaId: null,
      type: 'CORRECTIVE_ACTION',
      title: 'Fit guard on conveyor',
      priority: 'HIGH',
      ownerId: randomUUID(),
      dueAt: '2026-12-01T08:00:00Z',
      sourceRecordId: 'incident-42',
      reason: 'Near miss on conveyor C-2',
      requiredOutcome: { acceptanceCriteria: 'Guard fitted and checked', evidence: [{ kind: 'PHOTO', label: 'Guard fitted' }] },
      prerequisites: [{ kind: 'HAZARD_CONTROL_IN_PLACE', description: 'Area barriered', sourceRecordId: 'control-7' }],
      links: [{ domain: 'HAZARDS', recordId: 'incident-42', relation: 'corrective action of' }],
    };
    expect(payloadProblem('opsgraph.hazards.work.requested', 1, request, 'produce')).toBeNull();
    const wrongEvidence = { ...request, requiredOutcome: { acceptanceCriteria: 'x', evidence: [{ kind: 'SELFIE', label: 'me' }] } };
    expect(payloadProblem('opsgraph.hazards.work.requested', 1, wrongEvidence, 'produce')).toMatch(/requiredOutcome\/evidence\/0\/kind/);
    expect(payloadProblem('opsgraph.hazards.work.requested', 1, { ...request, dueAt: 'next week' }, 'consume')).toBe('data/dueAt must match format "date-time"');
  });

  test('asyncapi.yaml and the README catalogue are generated from the current registry', () => {
    // Fails after a contract change until `npx tsx libs/events/src/asyncapi.ts` is run.
    expect(readFileSync(ASYNCAPI_PATH, 'utf8')).toBe(renderAsyncApi());
    const readme = readFileSync(README_PATH, 'utf8');
    expect(readme).toBe(renderReadme(readme));
  });
});

describe('recordEvent validates in the domain transaction', () => {
  let store: Awaited<ReturnType<typeof testDatabase>>;
  beforeAll(async () => {
    store = await testDatabase({ name: 'permits', entities: outboxEntities, migrations: outboxMigrations });
  });
  afterAll(() => store.close());

  test('an invalid payload fails the transaction and leaves nothing in the outbox', async () => {
    await expect(
      store.db.transaction(async (manager) => {
        await recordEvent(manager, { domain: 'permits', type: 'prerequisite.required', subject: 'permit-1', data: required() });
        await recordEvent(manager, { domain: 'permits', type: 'prerequisite.required', subject: 'permit-1', data: { ...required(), state: 'DONE' } });
      }),
    ).rejects.toThrow(/opsgraph.permits.prerequisite.required v1: data\/state must be equal to one of the allowed values/);
    await expect(store.db.transaction((m) => recordEvent(m, { domain: 'permits', type: 'permit.teleported', subject: 'p', data: {} }))).rejects.toThrow(EventContractError);
    expect(await store.db.query('SELECT * FROM outbox')).toEqual([]);
  });
});

describe('envelope', () => {
  const row = {
    eventId: randomUUID(),
    topic: 'opsgraph.permits.v1',
    key: 'permit-1',
    type: 'opsgraph.permits.prerequisite.required',
    source: '/opsgraph/permits',
    subject: 'permit-1',
    time: new Date('2026-11-20T10:00:00Z'),
    dataschema: 'urn:opsgraph:schema:permits.prerequisite.required:v1',
    data: required(),
    headers: { requestid: 'req-9', traceparent: '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01' },
  };
  const received = (patch: Partial<ReceivedMessage> = {}): ReceivedMessage => ({ ...toMessage(row), partition: 0, offset: '7', ...patch });

  test('a published row parses back into the same event', () => {
    const event = parseEnvelope(received());
    expect(event).toEqual({
      id: row.eventId,
      source: '/opsgraph/permits',
      type: row.type,
      subject: 'permit-1',
      time: row.time,
      dataschema: row.dataschema,
      version: 1,
      data: row.data,
      requestId: 'req-9',
      traceparent: row.headers.traceparent,
      topic: row.topic,
      key: 'permit-1',
    });
  });

  test('the request id and trace context travel as CloudEvents extensions (ce_requestid, ce_traceparent); bare names sent before still parse', () => {
    const message = toMessage(row);
    expect(message.headers).toMatchObject({ ce_requestid: 'req-9', ce_traceparent: row.headers.traceparent });
    expect(message.headers).not.toHaveProperty('requestid');
    expect(message.headers).not.toHaveProperty('traceparent');
    const { ce_requestid, ce_traceparent, ...legacy } = message.headers;
    const old = parseEnvelope({ ...received(), headers: { ...legacy, requestid: ce_requestid, traceparent: ce_traceparent } });
    expect([old.requestId, old.traceparent]).toEqual(['req-9', row.headers.traceparent]);
  });

  test('outbox headers cannot override the CloudEvents attributes', () => {
    const message = toMessage({ ...row, headers: { ce_type: 'opsgraph.permits.forged' } });
    expect(message.headers.ce_type).toBe(row.type);
  });

  test('refuses what is not an Opsgraph CloudEvent', () => {
    const bad = (patch: Partial<ReceivedMessage>) => () => parseEnvelope(received(patch));
    const headers = toMessage(row).headers;
    expect(bad({ headers: { ...headers, ce_specversion: '0.3' } })).toThrow(new EnvelopeError('unsupported ce_specversion 0.3'));
    expect(bad({ headers: { ...headers, ce_dataschema: 'urn:opsgraph:schema:work.work_item.created:v1' } })).toThrow(/does not name type/);
    expect(bad({ headers: { ...headers, 'content-type': 'application/avro' } })).toThrow('unsupported content-type application/avro');
    expect(bad({ headers: { ...headers, ce_time: 'yesterday' } })).toThrow('ce_time is not a timestamp');
    expect(bad({ value: Buffer.from('[1,2]') })).toThrow('value is not a JSON object');
  });
});
