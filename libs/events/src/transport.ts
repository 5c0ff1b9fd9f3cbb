
/**
 * What the relay and consumers need from a message log, whatever carries it: Kafka in production, a
 * small Postgres "bus" database when no broker is configured (local runs, the embedded default).
 * Topic names here are logical (`opsgraph.work.v1`); a transport adds its `topicPrefix` to topics and
 * consumer groups, so parallel test runs (or tenants) share a broker without seeing each other.
 */
export interface TransportMessage {
  topic: string;
  /** Partition key: the aggregate id, so one record's events stay in order. */
  key: string | null;
  value: Buffer;
  headers: Record<string, string>;
}

export interface ReceivedMessage extends TransportMessage {
  partition: number;
  /** Position in the partition (Kafka offset, or the bus row id), as a decimal string. */
  offset: string;
}

export interface BatchControl {
  /** False once the subscription stops or the partition moved to another group member: stop early, do not commit. */
  isRunning(): boolean;
  /** Keeps the group membership alive during a long batch. */
  heartbeat(): Promise<void>;
}

export interface SubscribeOptions {
  groupId: string;
  topics: string[];
  /** Where a group without committed offsets starts: the oldest retained message (true) or new ones only. */
  fromBeginning?: boolean;
  /**
   * Called with consecutive messages of one partition, in order. Offsets are committed only after it
   * resolves; if it throws, nothing of the batch is committed and the batch is delivered again later.
   */
  onBatch(messages: ReceivedMessage[], control: BatchControl): Promise<void>;
}

export interface Subscription {
  stop(): Promise<void>;
}

export interface Transport {
  readonly kind: 'kafka' | 'postgres';
  /** Resolves only once every message is durably stored by the log (Kafka: acknowledged by all in-sync replicas). */
  publish(messages: TransportMessage[]): Promise<void>;
  subscribe(options: SubscribeOptions): Promise<Subscription>;
  close(): Promise<void>;
}
