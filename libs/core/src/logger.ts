import pino from 'pino';

/** One structured JSON logger for every process; LOG_LEVEL=silent in tests keeps output readable. */
export const logger = pino({
  level: process.env.LOG_LEVEL ?? (process.env.NODE_ENV === 'test' ? 'silent' : 'info'),
  base: { service: process.env.OPSGRAPH_SERVICE },
});
export type Logger = typeof logger;
