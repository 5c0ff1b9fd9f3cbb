import { Client, type ClientConfig } from 'pg';
import type { DataSource } from 'typeorm';
import { logger } from '@opsgraph/core';
import { backoff } from './timing';

/** Connection settings of a TypeORM Postgres DataSource, for the extra `pg` clients the event machinery opens. */
export function pgConfigOf(db: DataSource): ClientConfig {
  const o = db.options as { host?: string; port?: number; username?: string; password?: string; database?: string };
  return { host: o.host, port: o.port, user: o.username, password: o.password, database: o.database, application_name: `${o.database}:events` };
}

/**
 * LISTENs on a channel with a dedicated connection (a pooled one would lose the LISTEN when returned)
 * and reconnects with backoff whenever the connection drops, so a database restart does not leave the
 * listener deaf. Missed notifications during a reconnect are covered by the callers' slow poll.
 */
export function listen(config: ClientConfig, channel: string, onNotify: (payload: string) => void): { close(): Promise<void> } {
  let client: Client | null = null;
  let closed = false;
  let failures = 0;
  let retryTimer: NodeJS.Timeout | null = null;

  const connect = async () => {
    retryTimer = null;
    if (closed) return;
    const c = new Client({ ...config, keepAlive: true });
    const reconnect = (err?: Error) => {
      if (client !== c) return;
      client = null;
      c.removeAllListeners('notification');
      c.end().catch(() => undefined);
      if (closed) return;
      failures++;
      logger.warn({ err: err?.message, channel }, 'event listener connection lost; reconnecting');
      retryTimer = setTimeout(() => void connect(), backoff(failures, 200, 5000));
    };
    c.on('error', reconnect);
    c.on('end', () => reconnect(new Error('connection ended')));
    c.on('notification', (msg) => onNotify(msg.payload ?? ''));
    client = c;
    try {
      await c.connect();
      await c.query(`LISTEN "${channel}"`);
      failures = 0;
      if (closed) await c.end();
      // Anything committed while we were away is picked up now rather than at the next poll.
      else onNotify('');
    } catch (err) {
      reconnect(err as Error);
    }
  };
  void connect();
  return {
    async close() {
      closed = true;
      if (retryTimer) clearTimeout(retryTimer);
      const c = client;
      client = null;
      await c?.end().catch(() => undefined);
    },
  };
}
