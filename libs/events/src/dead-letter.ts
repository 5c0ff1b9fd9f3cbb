import { DomainError, isUnavailable } from '@opsgraph/core';
import { DEAD_LETTER_TOPIC } from './names';
import type { ReceivedMessage, TransportMessage } from './transport';

/** Headers a dead-lettered message gets beside its own (published as `schemas/deadletter/headers.v1.json`). */
export const DLQ_HEADERS = {
  reason: 'dlq_reason',
  consumer: 'dlq_consumer',
  topic: 'dlq_topic',
  partition: 'dlq_partition',
  offset: 'dlq_offset',
  time: 'dlq_time',
} as const;

/** The message as received (key, value, headers), with why `consumer` could not apply it. */
export function deadLetterOf(message: ReceivedMessage, consumer: string, reason: string): TransportMessage {
  return {
    topic: DEAD_LETTER_TOPIC,
    key: message.key,
    value: message.value,
    headers: {
      ...message.headers,
      [DLQ_HEADERS.reason]: reason.slice(0, 2000),
      [DLQ_HEADERS.consumer]: consumer,
      [DLQ_HEADERS.topic]: message.topic,
      [DLQ_HEADERS.partition]: String(message.partition),
      [DLQ_HEADERS.offset]: message.offset,
      [DLQ_HEADERS.time]: new Date().toISOString(),
    },
  };
}

/**
 * Thrown by a handler when the event refers to something that does not exist yet (a blocker for a work
 * item another topic has not delivered). The event is parked and applied later, not dead-lettered.
 */
export class RetryLater extends Error {
  override name = 'RetryLater';
}

export type Failure = 'not-yet' | 'rejected' | 'transient' | 'unexpected';

/** Serialization failure, deadlock, lock not available: the same transaction succeeds when tried again. */
const RETRYABLE_SQLSTATE = new Set(['40001', '40P01', '55P03']);

/**
 * Sorts a handler failure: "not yet" parks, a refusal (domain rule, bad data) dead-letters at once, an
 * outage retries with backoff and without committing the offset, and anything else (a bug) is retried a
 * few times and then dead-lettered so one event cannot stop a partition for good.
 */
export function classifyFailure(err: unknown): Failure {
  if (err instanceof RetryLater) return 'not-yet';
  if (err instanceof DomainError) return 'rejected';
  if (isUnavailable(err)) return 'transient';
  const e = err as { code?: unknown; name?: unknown };
  if (typeof e.code === 'string') {
    // Connection, resources, operator intervention, system errors: the database is (partly) away.
    if (RETRYABLE_SQLSTATE.has(e.code) || /^(08|53|57|58)/.test(e.code)) return 'transient';
    if (/^2[23][0-9A-Z]{3}$/.test(e.code)) return 'rejected'; // data exception or integrity violation: the same event fails again
  }
  if (typeof e.name === 'string' && e.name.startsWith('KafkaJS')) return 'transient'; // the dead-letter publish failed
  return 'unexpected';
}

export const describeError = (err: unknown) => (err instanceof DomainError ? `${err.code}: ${err.message}` : err instanceof Error ? err.message : String(err));
