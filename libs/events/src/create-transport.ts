import { logger } from '@opsgraph/core';
import { KafkaTransport } from './kafka-transport';
import { topicPrefixFromEnv } from './names';
import { PostgresTransport } from './postgres-transport';
import type { Transport } from './transport';

export interface CreateTransportOptions {
  /** Comma-separated `host:port` list; defaults to KAFKA_BROKERS. Without brokers the Postgres bus is used. */
  brokers?: string;
  topicPrefix?: string;
  /** Name of the process for broker logs and client ids. */
  clientId?: string;
  /** Database of the Postgres bus; defaults to OPSGRAPH_BUS_DATABASE or `<prefix>_bus`. */
  busDatabase?: string;
}

/** Picks Kafka when brokers are configured, else the Postgres bus, and says which one is in use. */
export function createTransport(options: CreateTransportOptions = {}): Transport {
  const brokers = options.brokers ?? process.env.KAFKA_BROKERS;
  const topicPrefix = options.topicPrefix ?? topicPrefixFromEnv();
  if (brokers) {
    logger.info({ brokers, topicPrefix }, 'events: Kafka transport');
    return new KafkaTransport({ brokers: brokers.split(',').map((b) => b.trim()).filter(Boolean), topicPrefix, clientId: options.clientId });
  }
  const transport = new PostgresTransport({ database: options.busDatabase, topicPrefix });
  logger.info({ database: transport.database, topicPrefix }, 'events: Postgres transport (KAFKA_BROKERS is not set)');
  return transport;
}
