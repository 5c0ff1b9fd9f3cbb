import { OutboxEvent } from '@opsgraph/events';
import type { TestService } from './services';

export interface RecordedEvent {
  /** Short type without the domain prefix, e.g. `permit.issued`. */
  type: string;
  subject: string;
  data: Record<string, any>;
}

/** The events a service wrote to its outbox (optionally about one record, of one short type), oldest first. */
export async function recordedEvents(service: Pick<TestService, 'db'>, subject?: string, type?: string): Promise<RecordedEvent[]> {
  const rows = await service.db.getRepository(OutboxEvent).find({ where: subject ? { subject } : {}, order: { id: 'ASC' } });
  return rows
    .map((r) => ({ type: r.type.replace(/^opsgraph\.[a-z]+\./, ''), subject: r.subject, data: r.data as Record<string, any> }))
    .filter((e) => !type || e.type === type);
}
