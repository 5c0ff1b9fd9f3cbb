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
