/**
 * Baseline (a) of issue 8: the board without federation. One Node process, graphql-js and DataLoader, one
 * `pg` pool per service database, reading the same `bench_*` databases the subgraphs own, and answering the
 * same BenchBoard document (bench/lib/queries.cjs) with the same rules as the services: caller scope, open
 * work most urgent first, blockers, permit readiness, required qualifications and whether the owner holds
 * them, the documents that apply, the job's hazards and controls, the change behind it, the compliance
 * requirements and checks. Hand-written SQL selecting only the columns it needs; every list-shaped field is
 * batched (one statement per kind per request), so its statement count is constant too. Like our gateway it
 * verifies the caller's bearer JWT and returns `x-opsgraph-sql-statements`.
 *
 *   node --import tsx bench/baseline/no-federation.ts <port>     (OPSGRAPH_PG_URL, OPSGRAPH_DB_PREFIX=bench)
 */
import http from 'node:http';
import { databaseName, inSiteScope, isContractorOnly, postgresConfig, userTokenVerifier, type Caller } from '@opsgraph/core';
import DataLoader from 'dataloader';
import { GraphQLError, buildSchema, execute, parse, validate, type DocumentNode, type GraphQLObjectType } from 'graphql';
import { Pool } from 'pg';

const SDL = /* GraphQL */ `
  type Query { board(siteId: ID!, areaId: ID, first: Int): Board! }
  type Board { counts: [StatusCount!]! blockedCount: Int! awaitingVerificationCount: Int! items: [WorkItem!]! }
  type StatusCount { status: String! count: Int! }
  type WorkItem {
    id: ID! number: String! title: String! type: String! status: String! priority: String! blocked: Boolean! overdue: Boolean! dueAt: String
    asset: Asset owner: Person blockers: [Prerequisite!]! completedAt: String verifiedAt: String verifiedBy: Person
    permitReadiness: PermitReadiness! requiredQualifications: [Qualification!]! ownerQualified: CompetenceCheck
    documents: [DocumentRevision!]! hazards: [JobHazard!]! change: ChangeRequest complianceRequirements: [Requirement!]! complianceChecks: [ComplianceCheck!]!
  }
  type Asset { id: ID! code: String! assetClass: String }
  type Person { id: ID! name: String }
  type Prerequisite { id: ID! kind: String! description: String! sourceDomain: String! sourceRecordId: ID reason: String }
  type PermitReadiness { required: Boolean! valid: Boolean! ready: Boolean! problems: [String!]! }
  type Qualification { code: String! }
  type CompetenceCheck { qualified: Boolean! missing: [Qualification!]! }
  type DocumentRevision { id: ID! label: String! document: Document! }
  type Document { number: String! title: String! }
  type JobHazard { hazard: Hazard! controls: [JobHazardControl!]! }
  type Hazard { title: String! }
  type JobHazardControl { kind: String! state: String! }
  type ChangeRequest { id: ID! number: String! status: String! }
  type Requirement { id: ID! reference: String! title: String! }
  type ComplianceCheck { status: String! }
`;

const STATUSES = ['OPEN', 'READY', 'IN_PROGRESS', 'AWAITING_VERIFICATION', 'DONE', 'ON_HOLD', 'CANCELLED'];
const OPEN_STATUSES = ['OPEN', 'READY', 'IN_PROGRESS', 'AWAITING_VERIFICATION', 'ON_HOLD'];
const TERMINAL = ['DONE', 'CANCELLED'];
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
type Row = Record<string, any>;

const pools: Record<string, Pool> = {};
const pool = (service: string) => (pools[service] ??= new Pool({ ...postgresConfig(), database: databaseName(service), max: 4, application_name: 'bench-baseline' }));

interface Ctx {
  caller: Caller;
  statements: number;
  now: Date;
  q: (service: string, sql: string, params?: unknown[]) => Promise<Row[]>;
  loaders: ReturnType<typeof createLoaders>;
}

const iso = (d: Date | null | undefined) => (d ? d.toISOString() : null);
const byKey = <T extends Row>(rows: T[], key: string) => {
  const map = new Map<string, T[]>();
  for (const r of rows) (map.get(String(r[key])) ?? map.set(String(r[key]), []).get(String(r[key]))!).push(r);
  return map;
};

function createLoaders(ctx: Omit<Ctx, 'loaders'>) {
  const { q, caller } = ctx;
  const one = (service: string, sql: string) =>
    new DataLoader<string, Row | null>(async (ids) => {
      const rows = await q(service, sql, [ids]);
      const map = new Map(rows.map((r) => [String(r.id), r]));
      return ids.map((id) => map.get(id) ?? null);
    });
  const many = (service: string, sql: string, key: string) =>
    new DataLoader<string, Row[]>(async (ids) => {
      const groups = byKey(await q(service, sql, [ids]), key);
      return ids.map((id) => groups.get(id) ?? []);
    });
  const documentById = one('documents', 'SELECT id, number, title, site_id, site_ids::text[] AS site_ids FROM document WHERE id = ANY($1::uuid[])');
  let requirementsAll: Promise<Row[]> | null = null;
  const openWork = one('competence', 'SELECT work_item_id AS id, site_id, work_type, asset_class, owner_id FROM open_work_item WHERE work_item_id = ANY($1::uuid[])');
  const qualification = one('competence', 'SELECT id, code FROM qualification WHERE id = ANY($1::uuid[])');
  return {
    asset: one('work', 'SELECT id, code, asset_class, site_id FROM asset WHERE id = ANY($1::uuid[])'),
    person: new DataLoader<string, Row | null>(async (ids) => {
      const valid = ids.filter((id) => UUID.test(id));
      const rows = valid.length ? await q('competence', 'SELECT id, name FROM person WHERE id = ANY($1::uuid[])', [valid]) : [];
      const map = new Map(rows.map((r) => [r.id, r]));
      return ids.map((id) => map.get(id) ?? null);
    }),
    blockers: many('work', `SELECT id, work_item_id, kind, description, source_domain, source_record_id, reason FROM prerequisite WHERE work_item_id = ANY($1::uuid[]) AND state = 'OPEN' ORDER BY created_at`, 'work_item_id'),
    permits: new DataLoader<string, Row[]>(async (ids) => {
      const rows = await q('permits', `SELECT id, number, status, site_id, requester_id, performing_authority_id, valid_from, valid_to, status_reason, issued_at, ended_at, work_item_ids::text[] AS work_item_ids
        FROM permit WHERE work_item_ids && ARRAY(SELECT unnest($1::uuid[])) ORDER BY created_at DESC`, [ids]);
      const visible = rows.filter((p) => inSiteScope(caller, p.site_id) && (!isContractorOnly(caller) || p.requester_id === caller.id || p.performing_authority_id === caller.id));
      return ids.map((id) => visible.filter((p) => p.work_item_ids.includes(id)));
    }),
    openWork,
    requiredQualifications: new DataLoader<string, Row[]>(async (ids) => {
      const items = (await openWork.loadMany(ids)).filter((w): w is Row => !!w && !(w instanceof Error) && inSiteScope(caller, w.site_id));
      if (!items.length) return ids.map(() => []);
      requirementsAll ??= q('competence', 'SELECT qualification_id, scope, value FROM qualification_requirement');
      const [reqs, covers] = await Promise.all([requirementsAll, q('competence', 'SELECT work_item_id, permit_type FROM work_permit_cover WHERE work_item_id = ANY($1::uuid[])', [items.map((w) => w.id)])]);
      const required = new Map<string, string[]>();
      for (const w of items) {
        const types = covers.filter((c) => c.work_item_id === w.id).map((c) => c.permit_type);
        const match = reqs.filter((r) => (r.scope === 'WORK_TYPE' && r.value === w.work_type) || (r.scope === 'ASSET_CLASS' && r.value === w.asset_class) || (r.scope === 'PERMIT_TYPE' && types.includes(r.value)));
        required.set(w.id, [...new Set(match.map((r) => r.qualification_id as string))]);
      }
      const quals = await qualification.loadMany([...new Set([...required.values()].flat())]);
      const byId = new Map(quals.filter((x): x is Row => !!x && !(x instanceof Error)).map((x) => [x.id, x]));
      return ids.map((id) => (required.get(id) ?? []).map((qid) => byId.get(qid)!).filter(Boolean).sort((a, b) => String(a.code).localeCompare(String(b.code))));
    }),
    qualification,
    recordsByPerson: many('competence', 'SELECT person_id, qualification_id, expires_at, revoked_at, lapsed_at FROM competence_record WHERE person_id = ANY($1::uuid[])', 'person_id'),
    documentsAt: new DataLoader<string, Row[]>(async (keys) => {
      const places = keys.map((k) => JSON.parse(k) as { siteId: string; areaId: string | null; assetId: string | null; workType: string });
      const uniq = (v: (string | null)[]) => [...new Set(v.filter((x): x is string => !!x))];
      const rows = await q('documents', `SELECT id, number, title, site_id, site_ids::text[] AS site_ids, area_ids::text[] AS area_ids, asset_ids::text[] AS asset_ids, work_types::text[] AS work_types
        FROM document WHERE site_ids && $1::uuid[] OR area_ids && $2::uuid[] OR asset_ids && $3::uuid[] ORDER BY number`, [uniq(places.map((p) => p.siteId)), uniq(places.map((p) => p.areaId)), uniq(places.map((p) => p.assetId))]);
      const visible = rows.filter((d) => inSiteScope(caller, d.site_id) || d.site_ids.some((s: string) => inSiteScope(caller, s)));
      for (const d of visible) documentById.prime(d.id, d);
      return places.map((p) => visible.filter((d) => (d.site_ids.includes(p.siteId) || (!!p.areaId && d.area_ids.includes(p.areaId)) || (!!p.assetId && d.asset_ids.includes(p.assetId))) && (!d.work_types.length || d.work_types.includes(p.workType))));
    }, { cacheKeyFn: (k) => k }),
    currentRevision: new DataLoader<string, Row | null>(async (documentIds) => {
      const rows = await q('documents', `SELECT id, document_id, label FROM document_revision WHERE document_id = ANY($1::uuid[]) AND status = 'APPROVED'`, [documentIds]);
      const map = new Map(rows.map((r) => [r.document_id, r]));
      return documentIds.map((id) => map.get(id) ?? null);
    }),
    documentById,
    assessment: one('hazards', 'SELECT work_item_id AS id, site_id FROM job_risk_assessment WHERE work_item_id = ANY($1::uuid[])'),
    jobHazards: many('hazards', 'SELECT id, work_item_id, hazard_id FROM job_hazard WHERE work_item_id = ANY($1::uuid[]) ORDER BY position', 'work_item_id'),
    hazard: one('hazards', 'SELECT id, title, site_id FROM hazard WHERE id = ANY($1::uuid[])'),
    controls: many('hazards', 'SELECT job_hazard_id, kind, state FROM job_hazard_control WHERE job_hazard_id = ANY($1::uuid[]) ORDER BY position', 'job_hazard_id'),
    change: one('change', 'SELECT id, seq, status, site_ids::text[] AS site_ids FROM change_request WHERE id = ANY($1::uuid[])'),
    requirements: new DataLoader<string, Row[]>(async (keys) => {
      const facts = keys.map((k) => JSON.parse(k) as { siteId: string; areaId: string | null; assetId: string | null; assetClass: string | null; workType: string; sourceDomain: string; sourceRecordId: string | null });
      const sources = [...new Set(facts.filter((f) => f.sourceDomain === 'COMPLIANCE' && f.sourceRecordId && UUID.test(f.sourceRecordId)).map((f) => f.sourceRecordId!))];
      const rows = await q('compliance', `SELECT id, reference, title, site_ids::text[] AS site_ids, area_ids::text[] AS area_ids, asset_ids::text[] AS asset_ids, asset_classes, work_types
        FROM requirement WHERE site_ids && $1::uuid[] OR id = ANY($2::uuid[]) ORDER BY reference, created_at`, [[...new Set(facts.map((f) => f.siteId))], sources]);
      const visible = rows.filter((r) => r.site_ids.some((s: string) => inSiteScope(caller, s)));
      return facts.map((w) =>
        visible.filter((r) => {
          if (w.sourceDomain === 'COMPLIANCE' && w.sourceRecordId === r.id) return true;
          if (!r.site_ids.includes(w.siteId)) return false;
          if (r.work_types.length && !r.work_types.includes(w.workType)) return false;
          if (!r.area_ids.length && !r.asset_ids.length && !r.asset_classes.length) return true;
          return (!!w.areaId && r.area_ids.includes(w.areaId)) || (!!w.assetId && r.asset_ids.includes(w.assetId)) || (!!w.assetClass && r.asset_classes.includes(w.assetClass));
        }),
      );
    }, { cacheKeyFn: (k) => k }),
    checks: many('compliance', 'SELECT work_item_id, status, site_id FROM compliance_check WHERE work_item_id = ANY($1::uuid[]) ORDER BY created_at', 'work_item_id'),
  };
}

const PRIORITY_ORDER = `CASE priority WHEN 'CRITICAL' THEN 0 WHEN 'HIGH' THEN 1 WHEN 'MEDIUM' THEN 2 ELSE 3 END`;

function notFound(what: string, id: string) {
  return new GraphQLError(`${what} ${id} not found`, { extensions: { code: 'NOT_FOUND' } });
}

async function board(_: unknown, args: { siteId: string; areaId?: string | null; first?: number | null }, ctx: Ctx) {
  const { caller, q } = ctx;
  if (!UUID.test(args.siteId) || !inSiteScope(caller, args.siteId)) throw notFound('site', args.siteId);
  const [site] = await q('work', 'SELECT id FROM site WHERE id = $1', [args.siteId]);
  if (!site) throw notFound('site', args.siteId);
  if (args.areaId) {
    const [area] = await q('work', 'SELECT id FROM area WHERE id = $1 AND site_id = $2', [args.areaId, args.siteId]);
    if (!area) throw notFound('area', args.areaId);
  }
  const limit = args.first === undefined || args.first === null ? 100 : Math.min(Math.max(args.first, 1), 200);
  const where = `site_id = $1 AND ($2::uuid IS NULL OR area_id = $2)${isContractorOnly(caller) ? ' AND contractor_company = $3' : ''}`;
  const params = [args.siteId, args.areaId ?? null, ...(isContractorOnly(caller) ? [caller.company ?? ''] : [])];
  const [counts, items] = await Promise.all([
    q('work', `SELECT status, COUNT(*)::int AS count, (COUNT(*) FILTER (WHERE open_prerequisites > 0))::int AS blocked FROM work_item WHERE ${where} GROUP BY status`, params),
    q('work', `SELECT id, number, title, type, status, priority, open_prerequisites, due_at, asset_id, site_id, area_id, owner_id, completed_at, verified_at, verified_by_id, source_domain, source_record_id
      FROM work_item WHERE ${where} AND status = ANY($${params.length + 1}) ORDER BY ${PRIORITY_ORDER}, due_at ASC NULLS LAST, created_at ASC LIMIT ${limit}`, [...params, OPEN_STATUSES]),
  ]);
  const byStatus = new Map(counts.map((c) => [c.status, c]));
  return {
    counts: STATUSES.map((status) => ({ status, count: byStatus.get(status)?.count ?? 0 })),
    items,
    blockedCount: counts.filter((c) => OPEN_STATUSES.includes(c.status)).reduce((n, c) => n + c.blocked, 0),
    awaitingVerificationCount: byStatus.get('AWAITING_VERIFICATION')?.count ?? 0,
  };
}

const person = async (id: string | null, ctx: Ctx) => (id ? { id, name: (await ctx.loaders.person.load(id))?.name ?? null } : null);

function permitReadiness(permits: Row[], now: Date) {
  const authorises = (p: Row) => p.status === 'ISSUED' && (!p.valid_from || p.valid_from <= now) && (!p.valid_to || now < p.valid_to);
  const superseded = (p: Row) => ['CLOSED', 'CANCELLED', 'EXPIRED'].includes(p.status) && !!p.ended_at && permits.some((o) => o.id !== p.id && o.issued_at && o.issued_at > p.ended_at);
  const problem = (p: Row): string | null => {
    const n = p.number;
    switch (p.status) {
      case 'DRAFT': case 'REQUESTED': case 'APPROVED': return `${n} not yet issued (${String(p.status).toLowerCase()})`;
      case 'ISSUED':
        if (now < p.valid_from) return `${n} not valid before ${p.valid_from.toISOString()}`;
        if (now >= p.valid_to) return `${n} validity ended at ${p.valid_to.toISOString()}`;
        return null;
      case 'SUSPENDED': return p.status_reason ? `${n} suspended: ${p.status_reason}` : `${n} suspended`;
      case 'CLOSED': return `${n} closed`;
      case 'CANCELLED': return p.status_reason ? `${n} cancelled: ${p.status_reason}` : `${n} cancelled`;
      case 'EXPIRED': return `${n} expired at ${p.valid_to.toISOString()}`;
      default: return null;
    }
  };
  const problems = permits.filter((p) => !superseded(p)).map(problem).filter((x): x is string => x !== null);
  const valid = permits.some(authorises);
  return { required: permits.length > 0, valid, ready: permits.length === 0 || (valid && problems.length === 0), problems };
}

const place = (w: Row) => JSON.stringify({ siteId: w.site_id, areaId: w.area_id ?? null, assetId: w.asset_id ?? null, workType: w.type });

const resolvers: Record<string, Record<string, (parent: Row, args: never, ctx: Ctx) => unknown>> = {
  Query: { board: board as never },
  WorkItem: {
    blocked: (w) => w.open_prerequisites > 0 && !TERMINAL.includes(w.status),
    overdue: (w) => !!w.due_at && w.due_at < new Date() && !TERMINAL.includes(w.status) && w.status !== 'AWAITING_VERIFICATION',
    dueAt: (w) => iso(w.due_at),
    completedAt: (w) => iso(w.completed_at),
    verifiedAt: (w) => iso(w.verified_at),
    asset: async (w, _, ctx) => {
      if (!w.asset_id) return null;
      const a = await ctx.loaders.asset.load(w.asset_id);
      return a && inSiteScope(ctx.caller, a.site_id) ? { id: a.id, code: a.code, assetClass: a.asset_class } : null;
    },
    owner: (w, _, ctx) => person(w.owner_id, ctx),
    verifiedBy: (w, _, ctx) => person(w.verified_by_id, ctx),
    blockers: async (w, _, ctx) => (await ctx.loaders.blockers.load(w.id)).map((p) => ({ id: p.id, kind: p.kind, description: p.description, sourceDomain: p.source_domain, sourceRecordId: p.source_record_id || null, reason: p.reason })),
    permitReadiness: async (w, _, ctx) => permitReadiness(await ctx.loaders.permits.load(w.id), ctx.now),
    requiredQualifications: (w, _, ctx) => ctx.loaders.requiredQualifications.load(w.id),
    ownerQualified: async (w, _, ctx) => {
      const item = await ctx.loaders.openWork.load(w.id);
      if (!item?.owner_id || !inSiteScope(ctx.caller, item.site_id)) return null;
      const [required, held] = await Promise.all([ctx.loaders.requiredQualifications.load(w.id), ctx.loaders.recordsByPerson.load(item.owner_id)]);
      const now = ctx.now;
      const holds = (r: Row) => !r.revoked_at && !r.lapsed_at && (!r.expires_at || r.expires_at > now);
      const missing = required.filter((qual) => !held.some((r) => r.qualification_id === qual.id && holds(r)));
      return { qualified: missing.length === 0, missing };
    },
    documents: async (w, _, ctx) => {
      const docs = await ctx.loaders.documentsAt.load(place(w));
      const revisions = await ctx.loaders.currentRevision.loadMany(docs.map((d) => d.id));
      return revisions.filter((r): r is Row => !!r && !(r instanceof Error));
    },
    hazards: async (w, _, ctx) => {
      const assessment = await ctx.loaders.assessment.load(w.id);
      return assessment && inSiteScope(ctx.caller, assessment.site_id) ? ctx.loaders.jobHazards.load(w.id) : [];
    },
    change: async (w, _, ctx) => {
      if (w.source_domain !== 'CHANGE' || !UUID.test(w.source_record_id ?? '')) return null;
      const c = await ctx.loaders.change.load(String(w.source_record_id).toLowerCase());
      return c && c.site_ids.some((s: string) => inSiteScope(ctx.caller, s)) ? { id: c.id, number: `MOC-${String(c.seq).padStart(6, '0')}`, status: c.status } : null;
    },
    complianceRequirements: async (w, _, ctx) => {
      const asset = w.asset_id ? await ctx.loaders.asset.load(w.asset_id) : null;
      const facts = { siteId: w.site_id, areaId: w.area_id ?? null, assetId: w.asset_id ?? null, assetClass: asset?.asset_class ?? null, workType: w.type, sourceDomain: w.source_domain, sourceRecordId: UUID.test(w.source_record_id ?? '') ? String(w.source_record_id).toLowerCase() : null };
      return ctx.loaders.requirements.load(JSON.stringify(facts));
    },
    complianceChecks: async (w, _, ctx) => (await ctx.loaders.checks.load(w.id)).filter((c) => inSiteScope(ctx.caller, c.site_id)),
  },
  DocumentRevision: {
    document: async (r, _, ctx) => {
      const d = await ctx.loaders.documentById.load(r.document_id);
      if (!d) throw notFound('document', r.document_id);
      return d;
    },
  },
  JobHazard: {
    hazard: async (j, _, ctx) => {
      const h = await ctx.loaders.hazard.load(j.hazard_id);
      if (!h || !inSiteScope(ctx.caller, h.site_id)) throw notFound('hazard', j.hazard_id);
      return h;
    },
    controls: (j, _, ctx) => ctx.loaders.controls.load(j.id),
  },
};

const schema = buildSchema(SDL);
for (const [typeName, fields] of Object.entries(resolvers)) {
  const type = schema.getType(typeName) as GraphQLObjectType;
  for (const [field, resolve] of Object.entries(fields)) type.getFields()[field].resolve = resolve as never;
}

/** Parsed and validated documents by query text, as Apollo Server's document cache does. */
const documents = new Map<string, DocumentNode | readonly GraphQLError[]>();
function documentOf(query: string) {
  let doc = documents.get(query);
  if (!doc) {
    try {
      const parsed = parse(query);
      const errors = validate(schema, parsed);
      doc = errors.length ? errors : parsed;
    } catch (e) {
      doc = [e as GraphQLError];
    }
    if (documents.size < 1000) documents.set(query, doc);
  }
  return doc;
}

const verifyUserToken = userTokenVerifier();

function send(res: http.ServerResponse, status: number, body: unknown, statements = 0) {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(text), 'x-opsgraph-sql-statements': String(statements) });
  res.end(text);
}

const server = http.createServer((req, res) => {
  const chunks: Buffer[] = [];
  req.on('data', (c: Buffer) => chunks.push(c));
  req.on('end', async () => {
    if (req.url === '/health') return send(res, 200, { status: 'ok' });
    let caller: Caller;
    try {
      caller = await verifyUserToken(req.headers.authorization);
    } catch (e) {
      return send(res, 401, { errors: [{ message: (e as Error).message, extensions: { code: 'UNAUTHENTICATED' } }] });
    }
    let body: { query?: string; variables?: Record<string, unknown>; operationName?: string };
    try {
      body = JSON.parse(Buffer.concat(chunks).toString('utf8'));
    } catch {
      return send(res, 400, { errors: [{ message: 'request body is not valid JSON' }] });
    }
    const doc = documentOf(body.query ?? '');
    if (Array.isArray(doc)) return send(res, 400, { errors: doc.map((e) => ({ message: e.message })) });
    const base = {
      caller,
      statements: 0,
      now: new Date(),
      q: async (service: string, sql: string, params?: unknown[]) => {
        base.statements++;
        return (await pool(service).query(sql, params)).rows;
      },
    };
    const ctx = base as Ctx;
    ctx.loaders = createLoaders(base);
    try {
      const result = await execute({ schema, document: doc as DocumentNode, variableValues: body.variables, operationName: body.operationName, contextValue: ctx });
      send(res, 200, result, ctx.statements);
    } catch (e) {
      send(res, 500, { errors: [{ message: 'internal error' }] }, ctx.statements);
      console.error(e);
    }
  });
});
server.keepAliveTimeout = 65_000;
server.listen(Number(process.argv[2] ?? 4110), '127.0.0.1', () => console.log(`no-federation baseline on http://127.0.0.1:${(server.address() as { port: number }).port}/graphql`));
const stop = () => server.close(() => Promise.all(Object.values(pools).map((p) => p.end())).then(() => process.exit(0)));
process.once('SIGTERM', stop);
process.once('SIGINT', stop);
