import type { ApolloServerPlugin } from '@apollo/server';
import { Column, Entity, Index, PrimaryGeneratedColumn, type DataSource, type MigrationInterface, type QueryRunner } from 'typeorm';
import { inSiteScope, requireRole, type Caller } from './auth';
import type { RequestContext } from './context';
import { DomainError } from './errors';
import { isUuid, optionalText, toStorableText } from './ids';
import { logger } from './logger';
import { CreateIdempotencyKey1795800000000, IdempotencyKey } from './idempotency';
import { pageSize } from './pagination';
import { CreateRequestRole1796900000000, REQUEST_ROLE } from './scope';
import { optionalDate } from './validity';

/**
 * The audit trail: every mutation a service receives — who, when, what, from which request, and how it
 * ended (refused ones too). Kept in each service's own database and readable by auditors through the
 * graph as `<service>AuditTrail`.
 */
@Entity('audit_entry')
@Index('audit_entry_at', ['at'])
@Index('audit_entry_actor', ['actorId', 'at'])
export class AuditEntry {
  @PrimaryGeneratedColumn('increment', { type: 'bigint' }) id: string;
  @Column('timestamptz') at: Date;
  @Column('text') actorId: string;
  @Column('text', { array: true }) actorRoles: string[];
  @Column('text', { nullable: true }) requestId: string | null;
  /** The mutation fields called, e.g. `startWork`. */
  @Column('text') operation: string;
  /** The variables as sent, with long texts cut: what was asked. */
  @Column('jsonb', { nullable: true }) variables: unknown;
  @Column('text') outcome: 'ok' | 'refused' | 'failed';
  @Column('text', { nullable: true }) errorCode: string | null;
  /**
   * The sites the mutation concerned: the site ids it named, else the actor's own sites (`*` for an actor of
   * every site). An auditor reads an entry only when all of them are theirs (row-level security).
   */
  @Column('text', { array: true, nullable: true }) siteIds: string[] | null;
}

export class CreateAuditLog1700000000001 implements MigrationInterface {
  name = 'CreateAuditLog1700000000001';
  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE TABLE audit_entry (
      id bigserial PRIMARY KEY, at timestamptz NOT NULL, actor_id text NOT NULL, actor_roles text[] NOT NULL,
      request_id text, operation text NOT NULL, variables jsonb, outcome text NOT NULL, error_code text)`);
    await q.query(`CREATE INDEX audit_entry_at ON audit_entry (at)`);
    await q.query(`CREATE INDEX audit_entry_actor ON audit_entry (actor_id, at)`);
  }
  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE audit_entry`);
  }
}

/** Entries of sites outside the reader's scope stay hidden; requests never write the trail themselves. */
export class ScopeAuditTrail1796900000001 implements MigrationInterface {
  name = 'ScopeAuditTrail1796900000001';
  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE audit_entry ADD COLUMN site_ids text[]`);
    await q.query(`ALTER TABLE audit_entry ENABLE ROW LEVEL SECURITY`);
    await q.query(`CREATE POLICY audit_entry_scope ON audit_entry FOR SELECT TO ${REQUEST_ROLE}
      USING ((SELECT opsgraph_all_sites()) OR (cardinality(site_ids) > 0 AND site_ids <@ (SELECT opsgraph_site_ids()::text[])))`);
  }
  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP POLICY audit_entry_scope ON audit_entry`);
    await q.query(`ALTER TABLE audit_entry DISABLE ROW LEVEL SECURITY`);
    await q.query(`ALTER TABLE audit_entry DROP COLUMN site_ids`);
  }
}

/** Added to every service's database by the DataSource factory, so no service has to remember it. */
export const coreEntities = [AuditEntry, IdempotencyKey];
export const coreMigrations = [CreateAuditLog1700000000001, CreateIdempotencyKey1795800000000, CreateRequestRole1796900000000, ScopeAuditTrail1796900000001];

/** The site ids a request's variables name (`siteId`, `siteIds` at any depth). */
function namedSites(value: unknown, found: Set<string>, depth = 0): Set<string> {
  if (depth > 6 || value === null || typeof value !== 'object') return found;
  for (const [key, v] of Object.entries(value)) {
    if ((key === 'siteId' || key === 'siteIds') && (typeof v === 'string' || Array.isArray(v))) {
      // Only well-formed ids: anything else names no site (and may be text Postgres cannot store).
      for (const site of [v].flat()) if (typeof site === 'string' && isUuid(site)) found.add(site.toLowerCase());
    } else namedSites(v, found, depth + 1);
  }
  return found;
}

/**
 * The sites an entry concerns: those named that the actor works at, else the actor's own (see
 * `AuditEntry.siteIds`). A site named outside the actor's scope is not one of them: an attempt on another site
 * is refused as if the site did not exist, so it goes to the actor's own trail, never into the other site's.
 */
export function auditSites(variables: unknown, caller: Caller): string[] {
  const named = [...namedSites(variables, new Set())].filter((site) => inSiteScope(caller, site));
  return named.length ? named : caller.sites.includes('*') ? ['*'] : caller.sites;
}

function trimmed(value: unknown, depth = 0): unknown {
  // Refused input is recorded too, so text Postgres cannot store is recorded with U+FFFD in its place.
  if (typeof value === 'string') return toStorableText(value.length > 500 ? `${value.slice(0, 500)}…` : value);
  if (value === null || typeof value !== 'object') return value;
  // Deeper input is still recorded, as storable text: jsonb refuses what Postgres cannot store (a NUL).
  if (depth > 6) return toStorableText(JSON.stringify(value).slice(0, 500));
  if (Array.isArray(value)) return value.slice(0, 50).map((v) => trimmed(v, depth + 1));
  return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, trimmed(v, depth + 1)]));
}

const DOMAIN_CODES = new Set(['BAD_USER_INPUT', 'NOT_FOUND', 'UNAUTHENTICATED', 'FORBIDDEN', 'ILLEGAL_TRANSITION', 'PREREQUISITES_OPEN', 'EVIDENCE_INCOMPLETE', 'SEPARATION_OF_DUTIES', 'CONFLICT', 'SIMOPS_CONFLICT', 'GRAPHQL_VALIDATION_FAILED', 'IDEMPOTENCY_KEY_REUSED', 'IDEMPOTENCY_KEY_IN_PROGRESS', 'IDEMPOTENCY_RESULT_LOST']);

/** Records each mutation request after it ran. A failure to write the trail is logged, never hidden. */
export function auditPlugin(db: DataSource): ApolloServerPlugin<RequestContext<unknown>> {
  return {
    async requestDidStart() {
      return {
        async willSendResponse({ operation, contextValue, errors, request }) {
          if (operation?.operation !== 'mutation') return;
          const fields = operation.selectionSet.selections.map((s) => (s.kind === 'Field' ? s.name.value : s.kind)).join(',');
          const code = errors?.map((e) => (e.originalError instanceof DomainError ? e.originalError.code : (e.extensions?.code as string | undefined))).find(Boolean) ?? (errors?.length ? 'INTERNAL_SERVER_ERROR' : null);
          const caller: Caller = contextValue.caller;
          await db
            .getRepository(AuditEntry)
            .insert({
              at: new Date(),
              actorId: caller.id,
              actorRoles: caller.roles,
              requestId: contextValue.requestId,
              operation: fields,
              variables: trimmed(request.variables ?? null) as never,
              outcome: !code ? 'ok' : DOMAIN_CODES.has(code) ? 'refused' : 'failed',
              errorCode: code,
              siteIds: auditSites(request.variables ?? null, caller),
            })
            .catch((err) => logger.error({ err, requestId: contextValue.requestId }, 'audit trail write failed'));
        },
      };
    },
  };
}

/** The SDL every subgraph gets for reading its trail; the field is named after the service so they compose. */
export function auditTypeDefs(service: string): string {
  return `
    type AuditEntry @shareable {
      at: String!
      actorId: ID!
      actorRoles: [String!]!
      requestId: String
      operation: String!
      "The variables of the request as JSON text (long texts cut)."
      variables: String
      outcome: String!
      errorCode: String
    }
    extend type Query {
      "Mutations received by the ${service} service, newest first. Auditors and administrators only."
      ${service}AuditTrail(actorId: ID, since: String, first: Int): [AuditEntry!]!
    }
  `;
}

export function auditResolvers(service: string) {
  return {
    AuditEntry: {
      at: (e: AuditEntry) => e.at.toISOString(),
      variables: (e: AuditEntry) => (e.variables === null ? null : JSON.stringify(e.variables)),
    },
    Query: {
      [`${service}AuditTrail`]: async (_: unknown, args: { actorId?: string | null; since?: string | null; first?: number | null }, ctx: RequestContext<unknown>) => {
        requireRole(ctx.caller, 'auditor');
        const q = ctx.db.getRepository(AuditEntry).createQueryBuilder('a').orderBy('a.id', 'DESC').limit(pageSize(args.first));
        const actorId = optionalText(args.actorId, 'actorId', 100);
        if (actorId) q.andWhere('a.actorId = :actor', { actor: actorId });
        const since = optionalDate(args.since, 'since');
        if (since) q.andWhere('a.at >= :since', { since });
        return q.getMany();
      },
    },
  };
}
