import type { DataSource } from 'typeorm';
import { startConsumer, type Consumer, type ConsumerOptions } from './consumer';
import { startRelay, type Relay, type RelayOptions } from './relay';
import { createTransport, type Transport } from './transport';

export interface EventBackgroundOptions {
  /** The service's consumer, if it reacts to other domains' events. */
  consume?: ConsumerOptions;
  relay?: RelayOptions;
  /** Defaults to `createTransport()`: Kafka when KAFKA_BROKERS is set, else the Postgres bus. */
  transport?: () => Transport;
}

export interface EventTask {
  transport: Transport;
  relay: Relay;
  consumer: Consumer | null;
  stop(): Promise<void>;
}

/**
 * A service's event machinery as one `background` entry: the outbox relay, optionally a consumer, on one
 * transport. Usage: `background: eventBackground({ consume: { groupId, topics, handlers } })`.
 */
export function eventBackground(options: EventBackgroundOptions = {}) {
  return async (db: DataSource): Promise<EventTask[]> => {
    const transport = options.transport ? options.transport() : createTransport();
    const relay = startRelay(db, transport, options.relay);
    let consumer: Consumer | null = null;
    try {
      consumer = options.consume ? await startConsumer(db, transport, options.consume) : null;
    } catch (err) {
      await relay.stop();
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
          await relay.stop();
          await transport.close();
        },
      },
    ];
  };
}
