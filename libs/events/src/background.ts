import { eventTasks, type EventTaskName } from '@opsgraph/core';
import type { DataSource } from 'typeorm';
import { startConsumer, type Consumer, type ConsumerOptions } from './consumer';
import { startRelay, type Relay, type RelayOptions } from './relay';
import { createTransport } from './create-transport';
import type { Transport } from './transport';

export interface EventBackgroundOptions {
  /** The service's consumer, if it reacts to other domains' events. */
  consume?: ConsumerOptions;
  relay?: RelayOptions;
  /** Defaults to `createTransport()`: Kafka when KAFKA_BROKERS is set, else the Postgres bus. */
  transport?: () => Transport;
  /**
   * Which of the two this process runs; default `OPSGRAPH_EVENT_TASKS` (`relay,consume`, both). A busy
   * service can run its relay in a process of its own, so that its consumer has a core to itself.
   */
  tasks?: EventTaskName[];
}

export interface EventTask {
  transport: Transport;
  /** Null when this process does not relay (`OPSGRAPH_EVENT_TASKS` without `relay`). */
  relay: Relay | null;
  consumer: Consumer | null;
  stop(): Promise<void>;
}

/**
 * A service's event machinery as one `background` entry: the outbox relay, optionally a consumer, on one
 * transport. Usage: `background: eventBackground({ consume: { groupId, topics, handlers } })`.
 */
export function eventBackground(options: EventBackgroundOptions = {}) {
  return async (db: DataSource): Promise<EventTask[]> => {
    const tasks = options.tasks ?? eventTasks();
    const transport = options.transport ? options.transport() : createTransport();
    const relay = tasks.includes('relay') ? startRelay(db, transport, options.relay) : null;
    let consumer: Consumer | null = null;
    try {
      consumer = options.consume && tasks.includes('consume') ? await startConsumer(db, transport, options.consume) : null;
    } catch (err) {
      await relay?.stop();
      await transport.close();
      throw err;
    }
    return [
      {
        transport,
        relay,
        consumer,
        async stop() {
          // Consumer first: what it applies last may still record events for the relay to publish.
          await consumer?.stop();
          await relay?.stop();
          await transport.close();
        },
      },
    ];
  };
}
