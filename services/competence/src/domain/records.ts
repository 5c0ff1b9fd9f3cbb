import {
  DomainError,
  ErrorCode,
  SYSTEM_CALLER,
  addMonths,
  badInput,
  notFound,
  optionalDate,
  optionalText,
  requireDate,
  requireRole,
  requireText,
  requireUuid,
  type Caller,
} from '@opsgraph/core';
import { recordEvent } from '@opsgraph/events';
import type { EntityManager } from 'typeorm';
import type { CompetenceRecord, Qualification } from '../entities';
import { lockRequirements, qualificationById } from '../store/qualifications';
import { lockRecord, newRecord, recordById, recordsDueToLapse, saveRecord } from '../store/records';
import { lockPerson } from './people';
import { qualificationByCode } from './qualifications';
import { COMPETENCE_PERMISSIONS } from './permissions';
import { personVisible } from './scope';
import { holdingChanged } from './work';

/** Certificates are dated by people; a record is never accepted from the future. */
const CLOCK_SKEW_MS = 60_000;

export interface GrantInput {
  personId: string;
  qualificationCode: string;
  achievedAt: Date | string;
  expiresAt?: Date | string | null;
  evidence?: string | null;
}

export type RenewInput = Omit<GrantInput, 'personId' | 'qualificationCode'>;

function dates(input: RenewInput) {
  const achievedAt = requireDate(input.achievedAt, 'achievedAt');
  if (achievedAt.getTime() > Date.now() + CLOCK_SKEW_MS) throw badInput('achievedAt cannot be in the future', { field: 'achievedAt' });
  const expiresAt = optionalDate(input.expiresAt, 'expiresAt');
  if (expiresAt && expiresAt <= achievedAt) throw badInput('expiresAt must be after achievedAt', { field: 'expiresAt' });
  return { achievedAt, expiresAt, evidence: optionalText(input.evidence, 'evidence', 2000) };
}

/** Nobody vouches for their own competence. */
function requireNotSelf(caller: Caller, personId: string) {
  if (caller.id === personId) throw new DomainError(ErrorCode.SEPARATION_OF_DUTIES, 'nobody can grant, renew or revoke their own competence', { personId });
}

function recordFact(record: CompetenceRecord, q: Qualification, actorId: string, extra: Record<string, unknown> = {}) {
  return {
    recordId: record.id,
    personId: record.personId,
    qualificationId: q.id,
    code: q.code,
    achievedAt: record.achievedAt.toISOString(),
    expiresAt: record.expiresAt?.toISOString() ?? null,
    actorId,
    at: new Date().toISOString(),
    ...extra,
  };
}

/** Sets a record's dates (expiry from the qualification's validity unless given) and clears any lapse or revocation. */
function renewIn(record: CompetenceRecord, q: Qualification, fields: ReturnType<typeof dates>, caller: Caller) {
  record.achievedAt = fields.achievedAt;
  record.expiresAt = fields.expiresAt ?? (q.validityMonths ? addMonths(fields.achievedAt, q.validityMonths) : null);
  record.evidence = fields.evidence ?? record.evidence;
  record.grantedById = caller.id;
  record.revokedAt = null;
  record.revokedById = null;
  record.revokedReason = null;
  record.lapsedAt = null;
}

/** Records that a person holds a qualification, renewing their record if they have one. */
export async function grantCompetence(db: EntityManager, caller: Caller, input: GrantInput, requestId?: string): Promise<CompetenceRecord> {
  requireRole(caller, ...COMPETENCE_PERMISSIONS.grantCompetence);
  const personId = requireUuid(input.personId, 'personId');
  const fields = dates(input);
  requireNotSelf(caller, personId);
  return db.transaction(async (manager) => {
    await lockRequirements(manager);
    const person = await lockPerson(manager, personId);
    if (!person || !personVisible(caller, person)) throw notFound('person', personId);
    const q = await qualificationByCode(manager, input.qualificationCode);
    const existing = await lockRecord(manager, { personId, qualificationId: q.id });
    const record = existing ?? newRecord(manager, { personId, qualificationId: q.id, evidence: null });
    renewIn(record, q, fields, caller);
    await saveRecord(manager, record);
    const change = existing ? 'renewed' : 'granted';
    await recordEvent(manager, { domain: 'competence', type: `competence_record.${change}`, subject: record.id, data: recordFact(record, q, caller.id), requestId });
    await holdingChanged({ manager, requestId }, record, q, change);
    return record;
  });
}

export async function renewCompetence(db: EntityManager, caller: Caller, id: string, input: RenewInput, requestId?: string): Promise<CompetenceRecord> {
  requireRole(caller, ...COMPETENCE_PERMISSIONS.grantCompetence);
  const recordId = requireUuid(id);
  const fields = dates(input);
  return db.transaction(async (manager) => {
    const found = await recordById(manager, recordId);
    if (!found) throw notFound('competence record', recordId);
    await lockRequirements(manager);
    const person = await lockPerson(manager, found.personId);
    if (!person || !personVisible(caller, person)) throw notFound('competence record', recordId);
    requireNotSelf(caller, found.personId);
    const record = (await lockRecord(manager, { id: recordId }))!;
    const q = (await qualificationById(manager, record.qualificationId))!;
    renewIn(record, q, fields, caller);
    await saveRecord(manager, record);
    await recordEvent(manager, { domain: 'competence', type: 'competence_record.renewed', subject: record.id, data: recordFact(record, q, caller.id), requestId });
    await holdingChanged({ manager, requestId }, record, q, 'renewed');
    return record;
  });
}

export async function revokeCompetence(db: EntityManager, caller: Caller, id: string, reason: string, requestId?: string): Promise<CompetenceRecord> {
  requireRole(caller, ...COMPETENCE_PERMISSIONS.revokeCompetence);
  const recordId = requireUuid(id);
  const why = requireText(reason, 'reason', { max: 2000 });
  return db.transaction(async (manager) => {
    const found = await recordById(manager, recordId);
    if (!found) throw notFound('competence record', recordId);
    await lockRequirements(manager);
    const person = await lockPerson(manager, found.personId);
    if (!person || !personVisible(caller, person)) throw notFound('competence record', recordId);
    requireNotSelf(caller, found.personId);
    const record = (await lockRecord(manager, { id: recordId }))!;
    if (record.revokedAt) throw new DomainError(ErrorCode.ILLEGAL_TRANSITION, 'cannot revoke a competence record that is REVOKED', { from: 'REVOKED', action: 'revoke' });
    const q = (await qualificationById(manager, record.qualificationId))!;
    record.revokedAt = new Date();
    record.revokedById = caller.id;
    record.revokedReason = why;
    await saveRecord(manager, record);
    await recordEvent(manager, { domain: 'competence', type: 'competence_record.revoked', subject: record.id, data: recordFact(record, q, caller.id, { reason: why }), requestId });
    await holdingChanged({ manager, requestId }, record, q, 'revoked');
    return record;
  });
}

const EXPIRY_BATCH = 100;

/**
 * Lapses every record whose expiry has passed by `now` and re-opens its prerequisite on the open work of
 * its holder that demands it. Idempotent (a lapsed record is not lapsed again) and safe on several
 * replicas: each record is handled in its own transaction under its holder's lock, skipped if another
 * replica got there first. Returns the records lapsed.
 */
export async function expireRecords(db: EntityManager, now: Date = new Date()): Promise<CompetenceRecord[]> {
  const lapsed: CompetenceRecord[] = [];
  for (;;) {
    const due = await recordsDueToLapse(db, now, EXPIRY_BATCH);
    for (const candidate of due) {
      const record = await db.transaction(async (manager) => {
        await lockRequirements(manager);
        await lockPerson(manager, candidate.personId);
        const r = await lockRecord(manager, { id: candidate.id });
        if (!r || r.lapsedAt || r.revokedAt || !r.expiresAt || r.expiresAt > now) return null; // renewed or handled meanwhile
        const q = (await qualificationById(manager, r.qualificationId))!;
        r.lapsedAt = now;
        await saveRecord(manager, r);
        await recordEvent(manager, { domain: 'competence', type: 'competence_record.expired', subject: r.id, data: recordFact(r, q, SYSTEM_CALLER.id), requestId: undefined });
        await holdingChanged({ manager, now }, r, q, 'expired');
        return r;
      });
      if (record) lapsed.push(record);
    }
    if (due.length < EXPIRY_BATCH) return lapsed;
  }
}
