import { DomainError, ErrorCode, badInput, notFound, oneOf, optionalText, requireRole, requireText, requireUuid, type Caller } from '@opsgraph/core';
import { WORK_ITEM_TYPES, recordEvent } from '@opsgraph/events';
import { PERMIT_TYPES } from '@opsgraph/events';
import type { EntityManager } from 'typeorm';
import type { Qualification, QualificationRequirement, RequirementScope } from '../entities';
import {
  deleteQualificationRequirement,
  insertQualification,
  insertQualificationRequirement,
  lockQualificationRequirement,
  lockRequirements,
  qualificationById,
  qualificationCodeTaken,
  qualificationWithCode,
  requirementExists,
} from '../store/qualifications';
import { COMPETENCE_PERMISSIONS } from './permissions';
import { reconcileMatching } from './work';

const CODE = /^[A-Z0-9][A-Z0-9_-]{0,31}$/;

export function requireCode(value: unknown, field = 'code'): string {
  const code = requireText(value, field, { max: 32 }).toUpperCase();
  if (!CODE.test(code)) throw badInput(`${field} must be 1-32 letters, digits, - or _`, { field });
  return code;
}

export async function qualificationByCode(manager: EntityManager, code: unknown, field = 'qualificationCode'): Promise<Qualification> {
  const value = requireCode(code, field);
  const qualification = await qualificationWithCode(manager, value);
  if (!qualification) throw notFound('qualification', value);
  return qualification;
}

export interface CreateQualificationInput {
  code: string;
  name: string;
  description?: string | null;
  validityMonths?: number | null;
}

export async function createQualification(db: EntityManager, caller: Caller, input: CreateQualificationInput, requestId?: string): Promise<Qualification> {
  requireRole(caller, ...COMPETENCE_PERMISSIONS.manageQualifications);
  const validityMonths = input.validityMonths ?? null;
  if (validityMonths !== null && (!Number.isInteger(validityMonths) || validityMonths < 1 || validityMonths > 240)) {
    throw badInput('validityMonths must be a whole number of months from 1 to 240, or empty for never expiring', { field: 'validityMonths' });
  }
  const fields = {
    code: requireCode(input.code),
    name: requireText(input.name, 'name', { max: 200 }),
    description: optionalText(input.description, 'description', 2000),
    validityMonths,
  };
  return db.transaction(async (manager) => {
    if (await qualificationCodeTaken(manager, fields.code)) throw new DomainError(ErrorCode.CONFLICT, `a qualification with code ${fields.code} exists`, { field: 'code' });
    const qualification = await insertQualification(manager, fields);
    await recordEvent(manager, {
      domain: 'competence',
      type: 'qualification.created',
      subject: qualification.id,
      data: { qualificationId: qualification.id, code: qualification.code, name: qualification.name, validityMonths, actorId: caller.id, at: new Date().toISOString() },
      requestId,
    });
    return qualification;
  });
}

export interface RequirementInput {
  qualificationCode: string;
  workType?: string | null;
  assetClass?: string | null;
  permitType?: string | null;
}

/** Exactly one of work type, asset class, permit type. */
function scopeOf(input: RequirementInput): { scope: RequirementScope; value: string } {
  const given = [input.workType, input.assetClass, input.permitType].filter((v) => v !== undefined && v !== null && v !== '');
  if (given.length !== 1) throw badInput('give exactly one of workType, assetClass, permitType', { field: 'workType' });
  if (input.workType) return { scope: 'WORK_TYPE', value: oneOf(WORK_ITEM_TYPES, input.workType, 'workType') };
  if (input.permitType) return { scope: 'PERMIT_TYPE', value: oneOf(PERMIT_TYPES, input.permitType, 'permitType') };
  return { scope: 'ASSET_CLASS', value: requireText(input.assetClass, 'assetClass', { max: 100 }) };
}

function requirementFact(r: QualificationRequirement, q: Qualification, caller: Caller) {
  return {
    requirementId: r.id,
    qualificationId: q.id,
    code: q.code,
    workType: r.scope === 'WORK_TYPE' ? r.value : null,
    assetClass: r.scope === 'ASSET_CLASS' ? r.value : null,
    permitType: r.scope === 'PERMIT_TYPE' ? r.value : null,
    actorId: caller.id,
    at: new Date().toISOString(),
  };
}

/** Demands a qualification; owners of matching open work who lack it get the prerequisite at once. */
export async function addRequirement(db: EntityManager, caller: Caller, input: RequirementInput, requestId?: string): Promise<QualificationRequirement> {
  requireRole(caller, ...COMPETENCE_PERMISSIONS.manageQualifications);
  const { scope, value } = scopeOf(input);
  return db.transaction(async (manager) => {
    await lockRequirements(manager, true);
    const qualification = await qualificationByCode(manager, input.qualificationCode);
    if (await requirementExists(manager, qualification.id, scope, value)) {
      throw new DomainError(ErrorCode.CONFLICT, `${qualification.code} is already required for ${scope.toLowerCase().replace('_', ' ')} ${value}`);
    }
    const requirement = await insertQualificationRequirement(manager, { qualificationId: qualification.id, scope, value });
    await recordEvent(manager, { domain: 'competence', type: 'requirement.added', subject: qualification.id, data: requirementFact(requirement, qualification, caller), requestId });
    await reconcileMatching({ manager, requestId }, { scope, value }, []);
    return requirement;
  });
}

/** Drops a demand; prerequisites it alone raised are satisfied ("no longer required") on open work. */
export async function removeRequirement(db: EntityManager, caller: Caller, id: string, requestId?: string): Promise<Qualification> {
  requireRole(caller, ...COMPETENCE_PERMISSIONS.manageQualifications);
  const requirementId = requireUuid(id);
  return db.transaction(async (manager) => {
    await lockRequirements(manager, true);
    const requirement = await lockQualificationRequirement(manager, requirementId);
    if (!requirement) throw notFound('requirement', requirementId);
    const qualification = (await qualificationById(manager, requirement.qualificationId))!;
    await deleteQualificationRequirement(manager, requirement.id);
    await recordEvent(manager, { domain: 'competence', type: 'requirement.removed', subject: qualification.id, data: requirementFact(requirement, qualification, caller), requestId });
    await reconcileMatching({ manager, requestId }, requirement, [qualification]);
    return qualification;
  });
}
