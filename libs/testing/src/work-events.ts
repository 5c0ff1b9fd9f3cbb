import { randomUUID } from 'node:crypto';
import { ceType, createTransport, dataschemaOf, toMessage, topicOf, type Transport } from '@opsgraph/events';

/**
 * Stands in for Work on `opsgraph.work.v1` in a supporting domain's own tests: publishes work item events
 * as Work's relay would (CloudEvents envelope, keyed by work item id), so the service's consumer can be
 * driven through every state of the work it requested without running Work.
 */
export interface FakeWorkItem {
  workItemId: string;
  workType: string;
  siteId: string;
  areaId?: string | null;
  assetId?: string | null;
  ownerId?: string | null;
  sourceDomain: string;
  sourceRecordId: string | null;
  workRequestId?: string | null;
}

export function fakeWork(transport: Transport = createTransport()) {
  let serial = 0;
  const numbers = new Map<string, string>();
  const base = (item: FakeWorkItem, status: string) => ({
    workItemId: item.workItemId,
    number: numbers.get(item.workItemId) ?? `TST-${String(++serial).padStart(6, '0')}`,
    workType: item.workType,
    status,
    siteId: item.siteId,
    areaId: item.areaId ?? null,
    lineId: null,
    assetId: item.assetId ?? null,
    sourceDomain: item.sourceDomain,
    sourceRecordId: item.sourceRecordId,
  });
  let last: ReturnType<typeof toMessage> | null = null;
  async function publish(type: string, data: Record<string, unknown>) {
    last = toMessage({ eventId: randomUUID(), topic: topicOf('work'), key: String(data.workItemId), type: ceType('work', type), source: '/opsgraph/work', subject: String(data.workItemId), time: new Date(), dataschema: dataschemaOf('work', type), data, headers: {} });
    await transport.publish([last]);
  }
  const transition = (item: FakeWorkItem, type: string, from: string, to: string, extra: Record<string, unknown> = {}) =>
    publish(type, { ...base(item, to), from, to, actorId: randomUUID(), note: null, ...extra });
  return {
    transport,
    publish,
    created: (item: FakeWorkItem) => {
      const data = { ...base(item, 'OPEN'), ownerId: item.ownerId ?? null, priority: 'MEDIUM', dueAt: null, contractorCompany: null, assetClass: null, ...(item.workRequestId ? { workRequestId: item.workRequestId } : {}) };
      numbers.set(item.workItemId, data.number);
      return publish('work_item.created', data);
    },
    verified: (item: FakeWorkItem) => transition(item, 'work_item.verified', 'AWAITING_VERIFICATION', 'DONE', { verifierId: randomUUID(), verifiedAt: new Date().toISOString() }),
    cancelled: (item: FakeWorkItem) => transition(item, 'work_item.cancelled', 'READY', 'CANCELLED', { reason: 'duplicate' }),
    /** Sends the last event again, as a relay does after a crash between the broker's ack and its commit. */
    redeliverLast: () => transport.publish([last!]),
    close: () => transport.close(),
  };
}
