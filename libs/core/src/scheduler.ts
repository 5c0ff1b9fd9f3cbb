import { requireRole, type Caller } from './auth';
import { forbidden } from './errors';
import { logger } from './logger';

/** A time-driven domain rule of a service (permits expiring, qualifications lapsing, obligations coming due). */
export interface Schedule {
  /** `<service>.<rule>`, e.g. `permits.expire`. */
  name: string;
  intervalMs: number;
  /** Takes `now` so tests drive it with any clock; what it returns is counted when it is a list (what changed). */
  rule: (now: Date) => Promise<unknown>;
}

export interface ScheduleRun {
  schedule: string;
  at: Date;
  /** How many records the run changed, when the rule says (it returns the list of them). */
  changed: number | null;
}

export interface RunningSchedule {
  name: string;
  /** Runs the rule now, after a run under way, and says what it did; errors reach the caller. */
  runNow(): Promise<ScheduleRun>;
  stop(): Promise<void>;
}

/**
 * Runs a rule every `intervalMs`, and on demand (an administrator, the demo, tests) without waiting for
 * the next interval. One run at a time per process; several replicas may run it at once, so rules must be
 * idempotent and lock what they change.
 */
export function startScheduler(name: string, intervalMs: number, rule: (now: Date) => Promise<unknown>): RunningSchedule {
  let running: Promise<unknown> | null = null;
  const run = () => {
    const at = new Date();
    const result = rule(at);
    running = result.catch(() => undefined).finally(() => {
      running = null;
    });
    return result.then((value): ScheduleRun => ({ schedule: name, at, changed: Array.isArray(value) ? value.length : null }));
  };
  const tick = () => {
    if (!running) run().catch((err) => logger.error({ err, rule: name }, 'scheduled rule failed'));
  };
  const timer = setInterval(tick, intervalMs);
  timer.unref();
  setImmediate(tick);
  return {
    name,
    async runNow() {
      while (running) await running;
      return run();
    },
    async stop() {
      clearInterval(timer);
      await running;
    },
  };
}

/** The SDL every subgraph gets for running its rules on demand; the field is named after the service so they compose. */
export function scheduleTypeDefs(service: string): string {
  return `
    "One run of a time-driven rule: when, and how many records it changed (when the rule says)."
    type ScheduleRun @shareable {
      schedule: String!
      at: String!
      changed: Int
    }
    extend type Mutation {
      """
      Runs the ${service} service's time-driven rules (due dates, expiries) now, instead of at their next
      interval, and says what each did. An administrator of every site only: the rules act at every site.
      """
      run${service[0].toUpperCase()}${service.slice(1)}Schedules: [ScheduleRun!]!
    }
  `;
}

export function scheduleResolvers(service: string, schedules: RunningSchedule[]) {
  return {
    ScheduleRun: { at: (run: ScheduleRun) => run.at.toISOString() },
    Mutation: {
      [`run${service[0].toUpperCase()}${service.slice(1)}Schedules`]: async (_: unknown, __: unknown, ctx: { caller: Caller }) => {
        requireRole(ctx.caller, 'administrator');
        if (!ctx.caller.sites.includes('*')) throw forbidden('only an administrator of every site can run the time-driven rules: they act at every site');
        const runs: ScheduleRun[] = [];
        for (const schedule of schedules) runs.push(await schedule.runNow());
        return runs;
      },
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
