import { AsyncLocalStorage } from 'node:async_hooks';
import { createHash } from 'node:crypto';
import type http from 'node:http';
import { HeaderMap, type ApolloServerPlugin, type GraphQLResponse } from '@apollo/server';
import { GraphQLError } from 'graphql';
import {
  Column,
  Entity,
  EventSubscriber,
  Index,
  PrimaryColumn,
  type DataSource,
  type EntitySubscriberInterface,
  type MigrationInterface,
  type QueryRunner,
  type TransactionCommitEvent,
  type TransactionRollbackEvent,
} from 'typeorm';
import { envInt } from './config';
import { DomainError, ErrorCode, badInput } from './errors';
import { logger } from './logger';
import { startScheduler } from './scheduler';

/**
 * Retry-safe writes. A client sends `Idempotency-Key: <key>` with a mutation; the gateway passes it to each
 * subgraph it sends a mutation fetch to as `x-opsgraph-idempotency-key: <key>#<n>` (n counts the request's
 * mutation fetches to that subgraph). The subgraph records the key IN THE TRANSACTION THAT WRITES (an
 * `idempotency_key` row, committed with the write or not at all), stores the answer once it is known, and
 * answers a retry with that stored answer instead of running the mutation again:
 *
 * - same key, same operation and variables, answer stored → the first answer, nothing runs;
 * - same key, another operation or other variables → IDEMPOTENCY_KEY_REUSED, nothing runs;
 * - same key while the first is between its commit and its answer (or a concurrent duplicate loses the race
 *   to commit) → IDEMPOTENCY_KEY_IN_PROGRESS: retry to get the first one's answer;
 * - the write was committed but its answer was never stored (the process died in between) →
 *   IDEMPOTENCY_RESULT_LOST after a minute: the write happened, read the record instead.
 *
 * A mutation that was refused wrote nothing and recorded nothing, so its retry simply runs again. Keys are
 * per caller (actor id) and kept OPSGRAPH_IDEMPOTENCY_TTL_HOURS (24); expired rows are deleted hourly.
 */

/** What a client sends to the gateway. */
export const CLIENT_IDEMPOTENCY_HEADER = 'idempotency-key';
/** What the gateway sends to a subgraph with each mutation fetch: `<client key>#<n>`. */
export const IDEMPOTENCY_KEY_HEADER = 'x-opsgraph-idempotency-key';

const CLIENT_KEY = /^[\x20-\x7e]{1,200}$/;
const SUBGRAPH_KEY = /^[\x20-\x7e]{1,200}#\d{1,6}$/;
/** A key whose row has no answer yet is "in progress" this long after its commit, then "result lost". */
const IN_PROGRESS_MS = 60_000;
const CLEANUP_INTERVAL_MS = 3_600_000;
const CLEANUP_SLICE = 5_000;

export const idempotencyTtlHours = () => envInt('OPSGRAPH_IDEMPOTENCY_TTL_HOURS', 24);

/** The client's key from the gateway request's header: undefined without one, BAD_USER_INPUT when malformed. */
export function clientIdempotencyKey(value: string | string[] | undefined): string | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'string' || !CLIENT_KEY.test(value)) {
    throw badInput(`the ${CLIENT_IDEMPOTENCY_HEADER} header must be 1-200 printable ASCII characters`, { field: CLIENT_IDEMPOTENCY_HEADER });
  }
  return value;
}

// ---------- the table ----------

@Entity('idempotency_key')
@Index('idempotency_key_created_at', ['createdAt'])
export class IdempotencyKey {
  @PrimaryColumn('text') actorId: string;
  /** `<client key>#<n>` as the gateway sent it. */
  @PrimaryColumn('text') key: string;
  /** sha256 of the subgraph operation (its query hash), operation name and variables. */
  @Column('text') requestHash: string;
  /** The answer as it was sent (json, not jsonb: kept byte for byte, field order included); null until known. */
  @Column('json', { nullable: true }) response: unknown;
  /** When the write that recorded the key committed. */
  @Column('timestamptz') createdAt: Date;
}

export class CreateIdempotencyKey1795800000000 implements MigrationInterface {
  name = 'CreateIdempotencyKey1795800000000';
  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE TABLE idempotency_key (
      actor_id text NOT NULL, key text NOT NULL, request_hash text NOT NULL, response json, created_at timestamptz NOT NULL,
      CONSTRAINT idempotency_key_pkey PRIMARY KEY (actor_id, key))`);
    await q.query(`CREATE INDEX idempotency_key_created_at ON idempotency_key (created_at)`);
  }
  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE idempotency_key`);
  }
}

/** Deletes keys older than the TTL, a slice at a time (so no statement holds locks for long); returns how many. */
export async function deleteExpiredIdempotencyKeys(db: DataSource, ttlHours = idempotencyTtlHours()): Promise<number> {
  let deleted = 0;
  for (;;) {
    const [, count]: [unknown, number] = await db.query(
      `DELETE FROM idempotency_key WHERE (actor_id, key) IN (
         SELECT actor_id, key FROM idempotency_key WHERE created_at < now() - $1 * interval '1 hour' ORDER BY created_at LIMIT $2)`,
      [ttlHours, CLEANUP_SLICE],
    );
    deleted += count;
    if (count < CLEANUP_SLICE) return deleted;
  }
}

// ---------- the request's key (AsyncLocalStorage, only while a keyed request runs) ----------

interface KeyedRequest {
  actorId: string;
  key: string;
  /**
   * waiting: no mutation seen yet · checking: looking the key up · running: the mutation runs and its first
   * writing commit records the key · recording / recorded: that commit is under way / done (by `recordedBy`) ·
   * replaying: answered from the stored row · done: nothing more to do.
   */
  state: 'waiting' | 'checking' | 'running' | 'recording' | 'recorded' | 'replaying' | 'done';
  hash?: string;
  recordedBy?: QueryRunner;
  replay?: unknown;
}

/**
 * The key of the request being served. Like `statementScope`, switched on only while a request carrying a
 * key runs (mutations through the gateway with `Idempotency-Key`): while any AsyncLocalStorage is enabled,
 * Node runs promise hooks on every promise of the process.
 */
const keyScope = new AsyncLocalStorage<KeyedRequest>();
let keyed = 0;

/**
 * Runs a subgraph request with the idempotency key its gateway call carries (none: runs it as it is). A
 * malformed key is answered 400 (only the gateway calls subgraphs, so it means a bug, not a client).
 */
export async function withIdempotencyKey(req: http.IncomingMessage, res: http.ServerResponse, actorId: string, run: () => Promise<void>): Promise<void> {
  const key = req.headers[IDEMPOTENCY_KEY_HEADER];
  if (key === undefined) return run();
  if (typeof key !== 'string' || !SUBGRAPH_KEY.test(key)) {
    res.writeHead(400, { 'content-type': 'application/json; charset=utf-8' });
    res.end(JSON.stringify({ errors: [{ message: `malformed ${IDEMPOTENCY_KEY_HEADER} header`, extensions: { code: ErrorCode.BAD_USER_INPUT } }] }));
    return;
  }
  keyed++;
  try {
    await keyScope.run({ actorId, key, state: 'waiting' }, run);
  } finally {
    if (--keyed === 0) keyScope.disable();
  }
}

const reused = () =>
  new DomainError(ErrorCode.IDEMPOTENCY_KEY_REUSED, 'this idempotency key was already used for another request (another mutation or other input); use a new key for a new request');
const inProgress = () =>
  new DomainError(ErrorCode.IDEMPOTENCY_KEY_IN_PROGRESS, 'a request with this idempotency key is still being processed; nothing was changed now, retry to get its result');
const resultLost = () =>
  new DomainError(
    ErrorCode.IDEMPOTENCY_RESULT_LOST,
    'the request with this idempotency key was carried out, but its answer was lost (the service stopped before it was sent); nothing was changed now, read the record to see the result',
  );
/** A refusal before execution, with its HTTP status (Apollo answers 500 for errors before execution otherwise). */
const refusal = (error: DomainError, status: number) => new GraphQLError(error.message, { originalError: error, extensions: { http: { status } } });

/** Object keys sorted, so the same variables hash the same whatever order a client wrote them in. */
function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value) ?? 'null';
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  const entries = Object.entries(value as Record<string, unknown>).filter(([, v]) => v !== undefined);
  entries.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
}

function requestHash(queryHash: string, operationName: string | undefined | null, variables: unknown): string {
  return createHash('sha256').update(`${queryHash}\n${operationName ?? ''}\n${canonicalJson(variables ?? {})}`).digest('hex');
}

/**
 * Records the request's key in the first transaction of the request that commits a write, just before its
 * COMMIT, so the key exists if and only if the write does. Registered on every service's DataSource.
 * A transaction that wrote nothing (no transaction id assigned) does not take the key.
 */
@EventSubscriber()
export class IdempotencySubscriber implements EntitySubscriberInterface {
  async beforeTransactionCommit(event: TransactionCommitEvent): Promise<void> {
    const request = keyScope.getStore();
    // Nested transactions (savepoints) broadcast too; the key goes with the outermost COMMIT.
    if (!request || request.state !== 'running' || ((event.queryRunner as unknown as { transactionDepth?: number }).transactionDepth ?? 1) > 1) return;
    request.state = 'recording';
    let result: { wrote: boolean; inserted: number }[];
    try {
      // ON CONFLICT DO NOTHING waits for a concurrent transaction holding the same key; if that one commits,
      // nothing is inserted and the transaction stays usable for the lookup below.
      result = await event.queryRunner.query(
        `WITH tx AS MATERIALIZED (SELECT txid_current_if_assigned() IS NOT NULL AS wrote),
              recorded AS (
                INSERT INTO idempotency_key (actor_id, key, request_hash, created_at)
                SELECT $1, $2, $3, clock_timestamp() FROM tx WHERE tx.wrote
                ON CONFLICT DO NOTHING RETURNING 1)
         SELECT (SELECT wrote FROM tx) AS wrote, (SELECT count(*)::int FROM recorded) AS inserted`,
        [request.actorId, request.key, request.hash],
      );
    } catch (e) {
      request.state = 'running';
      // Under REPEATABLE READ or SERIALIZABLE a concurrent duplicate's commit shows as a serialization failure.
      if ((e as { code?: string }).code === '40001') throw inProgress();
      throw e;
    }
    const [{ wrote, inserted }] = result;
    if (inserted) {
      request.state = 'recorded';
      request.recordedBy = event.queryRunner;
      return;
    }
    request.state = 'running';
    if (!wrote) return;
    // A concurrent request with the same key committed first: this one rolls back.
    const [first]: { request_hash: string }[] = await event.queryRunner.query(`SELECT request_hash FROM idempotency_key WHERE actor_id = $1 AND key = $2`, [request.actorId, request.key]);
    throw first && first.request_hash !== request.hash ? reused() : inProgress();
  }

  /** The transaction that took the key rolled back (its COMMIT failed): the key was not recorded after all. */
  beforeTransactionRollback(event: TransactionRollbackEvent): void {
    const request = keyScope.getStore();
    if (request?.state === 'recorded' && request.recordedBy === event.queryRunner) {
      request.state = 'running';
      request.recordedBy = undefined;
    }
  }
}

/**
 * The subgraph side: looks the key up once the operation is known (replays, refuses or lets it run), and
 * stores the answer of a request that recorded its key. Also deletes expired keys hourly while the server runs.
 */
export function idempotencyPlugin(db: DataSource): ApolloServerPlugin {
  return {
    async serverWillStart() {
      const cleanup = startScheduler('idempotency key cleanup', CLEANUP_INTERVAL_MS, async () => {
        const deleted = await deleteExpiredIdempotencyKeys(db);
        if (deleted) logger.info({ deleted, database: String(db.options.database) }, 'expired idempotency keys deleted');
      });
      return { serverWillStop: () => cleanup.stop() };
    },
    async requestDidStart() {
      const request = keyScope.getStore();
      if (!request) return;
      return {
        async didResolveOperation({ operation, queryHash, request: { operationName, variables } }) {
          if (operation?.operation !== 'mutation') return;
          if (request.state !== 'waiting') throw refusal(badInput('an idempotency key covers one operation'), 400);
          request.state = 'checking';
          request.hash = requestHash(queryHash, operationName, variables);
          const [found]: { request_hash: string; response: unknown; expired: boolean; stale: boolean }[] = await db.query(
            `SELECT request_hash, response, created_at < now() - $3 * interval '1 hour' AS expired,
                    created_at < clock_timestamp() - $4 * interval '1 millisecond' AS stale
               FROM idempotency_key WHERE actor_id = $1 AND key = $2`,
            [request.actorId, request.key, idempotencyTtlHours(), IN_PROGRESS_MS],
          );
          if (found?.expired) {
            // Past its time but not yet cleaned up: forgotten, as if it had been.
            await db.query(`DELETE FROM idempotency_key WHERE actor_id = $1 AND key = $2 AND created_at < now() - $3 * interval '1 hour'`, [request.actorId, request.key, idempotencyTtlHours()]);
          } else if (found) {
            request.state = 'done';
            if (found.request_hash !== request.hash) throw refusal(reused(), 422);
            if (found.response === null) throw refusal(found.stale ? resultLost() : inProgress(), 409);
            request.state = 'replaying';
            request.replay = found.response;
            return;
          }
          request.state = 'running';
        },
        async responseForOperation(): Promise<GraphQLResponse | null> {
          if (request.state !== 'replaying') return null;
          return { http: { status: undefined, headers: new HeaderMap() }, body: { kind: 'single', singleResult: request.replay as never } };
        },
        async willSendResponse({ response }) {
          const state = request.state;
          if ((state !== 'recorded' && state !== 'running') || response.body.kind !== 'single') return;
          request.state = 'done';
          const answer = response.body.singleResult;
          try {
            if (state === 'recorded') {
              // The key was committed with the write: whatever the answer (errors in fields after the write
              // too), it is the answer to the write, and a retry gets it.
              await db.query(`UPDATE idempotency_key SET response = $3 WHERE actor_id = $1 AND key = $2`, [request.actorId, request.key, JSON.stringify(answer)]);
            } else if (!answer.errors?.length) {
              // Succeeded without a writing transaction (it changed nothing, or wrote outside a transaction):
              // remembered now, so a retry gets the same answer.
              await db.query(
                `INSERT INTO idempotency_key (actor_id, key, request_hash, response, created_at) VALUES ($1, $2, $3, $4, clock_timestamp()) ON CONFLICT DO NOTHING`,
                [request.actorId, request.key, request.hash, JSON.stringify(answer)],
              );
            } else {
              // Refused, but a duplicate sent at the same moment may have done the write meanwhile (this one
              // then waited for its locks and found e.g. the item already started): answer as a retry would.
              const [first]: { request_hash: string; response: unknown }[] = await db.query(`SELECT request_hash, response FROM idempotency_key WHERE actor_id = $1 AND key = $2`, [
                request.actorId,
                request.key,
              ]);
              if (first) {
                const instead = first.request_hash !== request.hash ? reused() : first.response === null ? inProgress() : null;
                response.body.singleResult = instead ? { errors: [{ message: instead.message, extensions: { code: instead.code } }] } : (first.response as never);
              }
            }
          } catch (err) {
            logger.error({ err, key: request.key }, 'idempotency: the answer could not be stored or checked');
          }
        },
      };
    },
  };
}
