export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Exponential backoff with jitter: 1st failure ~base, doubling up to max. */
export function backoff(failures: number, baseMs = 100, maxMs = 10_000): number {
  const ms = Math.min(maxMs, baseMs * 2 ** Math.max(0, failures - 1));
  return Math.round(ms / 2 + (Math.random() * ms) / 2);
}

/**
 * Lets a background loop sleep until there is something to do. A wake that arrives while the loop is
 * busy is remembered, so a notification is never lost between "found nothing" and "going to sleep".
 */
export class Waker {
  private pending = false;
  private resolveWait: (() => void) | null = null;

  wake(): void {
    this.pending = true;
    this.resolveWait?.();
  }

  /** Resolves on the next wake (or one that came since the last wait) or after `ms`. */
  wait(ms: number): Promise<void> {
    if (this.pending) {
      this.pending = false;
      return Promise.resolve();
    }
    return new Promise<void>((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.resolveWait = null;
        this.pending = false;
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.resolveWait = done;
    });
  }
}

