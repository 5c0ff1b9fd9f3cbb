/** Where events no consumer can ever apply go, with the reason in `dlq_*` headers (see consumer.ts). */
export const DEAD_LETTER_TOPIC = 'opsgraph.deadletter.v1';

/** The topic prefix from OPSGRAPH_TOPIC_PREFIX (empty in production; unique per test file). */
export const topicPrefixFromEnv = () => process.env.OPSGRAPH_TOPIC_PREFIX ?? '';

/** Adds and strips a transport's prefix on topic and group names. */
export class TopicNames {
  constructor(readonly prefix: string) {}
  physical(name: string): string {
    return this.prefix + name;
  }
  logical(name: string): string {
    return this.prefix && name.startsWith(this.prefix) ? name.slice(this.prefix.length) : name;
  }
}

/** Splits a list into runs of consecutive items with the same key (keeps order; used to batch per topic). */
export function groupBy<T>(items: T[], keyOf: (item: T) => string): Map<string, T[]> {
  const groups = new Map<string, T[]>();
  for (const item of items) {
    const key = keyOf(item);
    const list = groups.get(key);
    if (list) list.push(item);
    else groups.set(key, [item]);
  }
  return groups;
}
