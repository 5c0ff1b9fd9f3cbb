import { logger } from '@opsgraph/core';
import type { DataSource } from 'typeorm';

/** Most rows one retention statement deletes, so that no statement holds its locks for long. */
const SLICE = 5_000;

/**
 * Deletes what outlived a retention a slice at a time: `deleteSlice(limit)` deletes at most `limit` rows
 * and says how many; it runs until a slice comes back short. Returns the total.
 */
export async function deleteInSlices(deleteSlice: (limit: number) => Promise<number>): Promise<number> {
  let deleted = 0;
  for (;;) {
    const count = await deleteSlice(SLICE);
    deleted += count;
    if (count < SLICE) return deleted;
  }
}

/** Runs a DELETE through TypeORM and returns how many rows it removed (TypeORM answers `[rows, count]` for it). */
export async function deleteRows(db: DataSource, sql: string, params: unknown[]): Promise<number> {
  const [, deleted]: [unknown, number] = await db.query(sql, params);
  return deleted;
}

/** Runs `prune` every `intervalMs` in the background (never keeping the process alive); returns the stop. */
export function pruneEvery(intervalMs: number, what: string, context: Record<string, unknown>, prune: () => Promise<number>): () => void {
  const timer = setInterval(() => {
    prune()
      .then((deleted) => deleted && logger.info({ ...context, deleted }, `${what} deleted`))
      .catch((err) => logger.warn({ ...context, err: (err as Error).message }, `${what} could not be deleted`));
  }, intervalMs);
  timer.unref();
  return () => clearInterval(timer);
}
