import { badInput, oneOf, optionalText, requireUuid } from '@opsgraph/core';

/**
 * What regulators and HSE teams ask of an incident, kept proportionate. The rules follow OSHA (29 CFR 1904):
 *  - recordable (OSHA 300 log, 1904.7): death, days away from work, restricted work or job transfer, medical
 *    treatment beyond first aid, loss of consciousness, or a significant injury diagnosed by a physician or
 *    other licensed health care professional (fracture, punctured eardrum, amputation, loss of an eye, ...);
 *  - reportable to OSHA (1904.39): a work-related fatality within 8 hours; an in-patient hospitalisation, an
 *    amputation or the loss of an eye within 24 hours (from when it happened: the occurrence time is what we know).
 * Injuries and witnesses are personal data (person ids, body part, treatment): they stay in this database,
 * out of events, visible to those who see the people involved.
 */
export const BODY_PARTS = ['HEAD', 'EYE', 'FACE', 'NECK', 'BACK', 'TRUNK', 'ARM', 'HAND', 'FINGER', 'LEG', 'FOOT', 'MULTIPLE', 'INTERNAL', 'OTHER'] as const;
export type BodyPart = (typeof BODY_PARTS)[number];
/** The most a person received: NONE, FIRST_AID (not recordable by itself), MEDICAL_TREATMENT beyond first aid, HOSPITALIZED (in-patient). */
export const INJURY_TREATMENTS = ['NONE', 'FIRST_AID', 'MEDICAL_TREATMENT', 'HOSPITALIZED'] as const;
export type InjuryTreatment = (typeof INJURY_TREATMENTS)[number];
export const ROOT_CAUSE_CATEGORIES = [
  'PROCEDURES', 'TRAINING_COMPETENCE', 'EQUIPMENT_DESIGN', 'MAINTENANCE', 'HUMAN_FACTORS', 'SUPERVISION', 'COMMUNICATION', 'WORK_ENVIRONMENT', 'MANAGEMENT_SYSTEM', 'EXTERNAL',
] as const;
export type RootCauseCategory = (typeof ROOT_CAUSE_CATEGORIES)[number];

export const STANDARD = 'OSHA 29 CFR 1904 (1904.7 recordability, 1904.39 reporting)';
const MAX_DAYS = 180; // OSHA caps the days counted per case at 180
const MAX_WHYS = 5;

export interface IncidentInjury {
  personId: string;
  bodyPart: BodyPart;
  nature: string | null;
  treatment: InjuryTreatment;
  daysAway: number;
  daysRestricted: number;
  fatal: boolean;
  lostConsciousness: boolean;
  amputation: boolean;
  lossOfEye: boolean;
  significantDiagnosis: boolean;
}

export interface IncidentWitness {
  personId: string;
  statement: string | null;
}

export interface InjuryInput {
  personId: string;
  bodyPart: string;
  nature?: string | null;
  treatment: string;
  daysAway?: number | null;
  daysRestricted?: number | null;
  fatal?: boolean | null;
  lostConsciousness?: boolean | null;
  amputation?: boolean | null;
  lossOfEye?: boolean | null;
  significantDiagnosis?: boolean | null;
}

function days(value: number | null | undefined, field: string) {
  if (value === null || value === undefined) return 0;
  if (!Number.isInteger(value) || value < 0 || value > MAX_DAYS) throw badInput(`${field} must be a whole number of days from 0 to ${MAX_DAYS}`, { field });
  return value;
}

export function injuries(input: InjuryInput[] | null | undefined, field = 'injuries'): IncidentInjury[] {
  const list = input ?? [];
  if (list.length > 50) throw badInput(`at most 50 ${field}`, { field });
  const result = list.map((i, n) => ({
    personId: requireUuid(i.personId, `${field}[${n}].personId`),
    bodyPart: oneOf(BODY_PARTS, i.bodyPart, `${field}[${n}].bodyPart`),
    nature: optionalText(i.nature, `${field}[${n}].nature`, 200) ?? null,
    treatment: oneOf(INJURY_TREATMENTS, i.treatment, `${field}[${n}].treatment`),
    daysAway: days(i.daysAway, `${field}[${n}].daysAway`),
    daysRestricted: days(i.daysRestricted, `${field}[${n}].daysRestricted`),
    fatal: !!i.fatal,
    lostConsciousness: !!i.lostConsciousness,
    amputation: !!i.amputation,
    lossOfEye: !!i.lossOfEye,
    significantDiagnosis: !!i.significantDiagnosis,
  }));
  const people = result.map((i) => i.personId.toLowerCase());
  if (new Set(people).size !== people.length) throw badInput(`${field}: one entry per injured person`, { field });
  return result;
}

export function witnesses(input: { personId: string; statement?: string | null }[] | null | undefined, field = 'witnesses'): IncidentWitness[] {
  const list = input ?? [];
  if (list.length > 50) throw badInput(`at most 50 ${field}`, { field });
  const result = list.map((w, n) => ({ personId: requireUuid(w.personId, `${field}[${n}].personId`), statement: optionalText(w.statement, `${field}[${n}].statement`, 4000) ?? null }));
  if (new Set(result.map((w) => w.personId.toLowerCase())).size !== result.length) throw badInput(`${field}: one entry per witness`, { field });
  return result;
}

/** The five whys: each answer asks the next why; one to five of them. */
export function whys(input: string[] | null | undefined, field = 'whys'): string[] {
  const list = (input ?? []).map((w, n) => optionalText(w, `${field}[${n}]`, 1000));
  if (list.some((w) => !w)) throw badInput(`${field}: every why needs its answer`, { field });
  if (list.length > MAX_WHYS) throw badInput(`${field}: at most ${MAX_WHYS} whys`, { field });
  return list as string[];
}

export function rootCauseCategories(input: string[] | null | undefined, field = 'rootCauseCategories'): RootCauseCategory[] {
  return [...new Set((input ?? []).map((c, n) => oneOf(ROOT_CAUSE_CATEGORIES, c, `${field}[${n}]`)))];
}

/** Recordable and reportable, with the criteria met and the report's deadline (from the occurrence time). */
export function classify(occurredAt: Date, list: IncidentInjury[]) {
  const recordable: string[] = [];
  const reportable: string[] = [];
  const add = (into: string[], criterion: string, met: boolean) => met && !into.includes(criterion) && into.push(criterion);
  for (const i of list) {
    add(recordable, 'DEATH', i.fatal);
    add(recordable, 'DAYS_AWAY', i.daysAway > 0);
    add(recordable, 'RESTRICTED_WORK_OR_TRANSFER', i.daysRestricted > 0);
    add(recordable, 'MEDICAL_TREATMENT_BEYOND_FIRST_AID', i.treatment === 'MEDICAL_TREATMENT' || i.treatment === 'HOSPITALIZED');
    add(recordable, 'LOSS_OF_CONSCIOUSNESS', i.lostConsciousness);
    add(recordable, 'SIGNIFICANT_DIAGNOSED_INJURY', i.significantDiagnosis || i.amputation || i.lossOfEye);
    add(reportable, 'FATALITY', i.fatal);
    add(reportable, 'IN_PATIENT_HOSPITALIZATION', i.treatment === 'HOSPITALIZED');
    add(reportable, 'AMPUTATION', i.amputation);
    add(reportable, 'LOSS_OF_EYE', i.lossOfEye);
  }
  const hours = reportable.includes('FATALITY') ? 8 : reportable.length ? 24 : null;
  return {
    recordable: recordable.length > 0,
    recordableCriteria: recordable,
    reportable: reportable.length > 0,
    reportableCriteria: reportable,
    reportDeadline: hours === null ? null : new Date(occurredAt.getTime() + hours * 3600_000),
    standard: STANDARD,
  };
}
