import { logger } from './logger';

/**
 * Runs a time-driven domain rule (permits expiring, qualifications lapsing, obligations coming due)
 * every `intervalMs`. The rule takes `now` so tests drive it with any clock instead of waiting.
 * Several replicas may run it at once: rules must be idempotent and lock what they change.
 */
export function startScheduler(name: string, intervalMs: number, rule: (now: Date) => Promise<unknown>) {
  let running: Promise<unknown> | null = null;
  const tick = () => {
    if (running) return;
    running = rule(new Date())
      .catch((err) => logger.error({ err, rule: name }, 'scheduled rule failed'))
      .finally(() => {
        running = null;
      });
  };
  const timer = setInterval(tick, intervalMs);
  timer.unref();
  setImmediate(tick);
  return {
    async stop() {
      clearInterval(timer);
      await running;
    },
  };
}

/**
 * Waits for `promise` at most `ms`. Shutdown uses it: a dependency that never answers (kafkajs waiting on
 * a group join, a pool waiting on a stuck client) must not keep a process from stopping. What was not
 * finished is redone after restart: offsets not committed are delivered again and the inbox makes that
 * harmless; outbox rows not marked are published again.
 */
export async function atMost(promise: Promise<unknown>, ms: number, what = 'shutdown step'): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<'timeout'>((resolve) => (timer = setTimeout(() => resolve('timeout'), ms)));
  const result = await Promise.race([promise.catch(() => undefined), timedOut]);
  clearTimeout(timer);
  if (result === 'timeout') logger.warn({ what, ms }, 'gave up waiting');
}
