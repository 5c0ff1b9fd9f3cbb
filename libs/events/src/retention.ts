import { logger } from '@opsgraph/core';

/** Most rows one retention statement deletes: a bounded slice, so no statement holds its locks for long. */
export const RETENTION_SLICE = 5_000;

/**
 * Runs `deleteSlice` (a DELETE of at most `RETENTION_SLICE` rows, returning how many it deleted) until a
 * slice comes back short; returns the total.
 */
export async function deleteInSlices(deleteSlice: () => Promise<number>): Promise<number> {
  let deleted = 0;
  for (;;) {
    const count = await deleteSlice();
    deleted += count;
    if (count < RETENTION_SLICE) return deleted;
  }
}

/** Runs `prune` every `intervalMs` in the background (never keeping the process alive); returns the stop. */
export function everyInterval(intervalMs: number, what: string, context: Record<string, unknown>, prune: () => Promise<number>): () => void {
  const timer = setInterval(() => {
    prune()
      .then((deleted) => deleted && logger.info({ ...context, deleted }, `${what} deleted`))
      .catch((err) => logger.warn({ ...context, err: (err as Error).message }, `${what} could not be deleted`));
  }, intervalMs);
  timer.unref();
  return () => clearInterval(timer);
}
