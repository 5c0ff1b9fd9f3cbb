import {
  badInput,
  decodeCursor,
  encodeCursor,
  illegalTransition,
  inSiteScope,
  notFound,
  oneOf,
  optionalText,
  optionalUuid,
  pageSize,
  requirePlace,
  requireText,
  requireUuid,
  toConnection,
  unknownLocation,
  type Caller,
  type Connection,
} from '@opsgraph/core';
import { WORK_ITEM_TYPES } from '@opsgraph/events';
import { HAZARD_CONTROL_KINDS, RISK_BANDS, type RiskBand } from '@opsgraph/events';
import type { EntityManager } from 'typeorm';
import type { Hazard, HazardControl } from '../entities';
import { controlsOfHazard, hazardById, hazardsPage, insertHazard, lockHazard, replaceControlsOfHazard, saveHazard, type HazardConditions } from '../store/hazards';
import { emit, type ChangeContext } from './common';
import { requirePermission } from './permissions';
import { bandOf, minRatingOf, ratingsOf } from './risk';

export interface ControlInput {
  kind: string;
  description: string;
}

export interface RegisterHazardInput {
  title: string;
  description?: string | null;
  siteId: string;
  areaId?: string | null;
  assetId?: string | null;
  workTypes?: string[] | null;
  likelihood: number;
  severity: number;
  residualLikelihood: number;
  residualSeverity: number;
  controls: ControlInput[];
}

export interface ReassessHazardInput {
  likelihood: number;
  severity: number;
  residualLikelihood: number;
  residualSeverity: number;
  controls?: ControlInput[] | null;
}

export interface HazardFilter {
  siteId?: string | null;
  areaId?: string | null;
  assetId?: string | null;
  workType?: string | null;
  minBand?: RiskBand | null;
  active?: boolean | null;
  text?: string | null;
}

const MAX_CONTROLS = 30;

/** The register is kept by HSE and supervisors. */
const requireRegisterKeeper = (caller: Caller) => requirePermission(caller, 'keepRegister');

export function controlsOf(input: ControlInput[] | null | undefined, field: string, required: boolean) {
  const controls = (input ?? []).map((c, i) => ({
    kind: oneOf(HAZARD_CONTROL_KINDS, c.kind, `${field}[${i}].kind`),
    description: requireText(c.description, `${field}[${i}].description`, { max: 1000 }),
  }));
  if (required && !controls.length) throw badInput('a hazard needs at least one required control', { field });
  if (controls.length > MAX_CONTROLS) throw badInput(`at most ${MAX_CONTROLS} controls`, { field });
  return controls;
}

function hazardFact(hazard: Hazard, controls: HazardControl[], actorId: string) {
  return {
    hazardId: hazard.id,
    title: hazard.title,
    siteId: hazard.siteId,
    areaId: hazard.areaId,
    assetId: hazard.assetId,
    workTypes: hazard.workTypes,
    likelihood: hazard.likelihood,
    severity: hazard.severity,
    riskRating: hazard.riskRating,
    riskBand: bandOf(hazard.riskRating),
    residualRating: hazard.residualRating,
    residualBand: bandOf(hazard.residualRating),
    controlKinds: controls.map((c) => c.kind),
    active: hazard.active,
    actorId,
    at: new Date().toISOString(),
  };
}

export async function registerHazard(db: EntityManager, caller: Caller, input: RegisterHazardInput, requestId?: string): Promise<Hazard> {
  requireRegisterKeeper(caller);
  const fields = {
    title: requireText(input.title, 'title', { max: 300 }),
    description: optionalText(input.description, 'description', 4000),
    siteId: requireUuid(input.siteId, 'siteId'),
    areaId: optionalUuid(input.areaId, 'areaId') ?? null,
    assetId: optionalUuid(input.assetId, 'assetId') ?? null,
    workTypes: [...new Set((input.workTypes ?? []).map((t, i) => oneOf(WORK_ITEM_TYPES, t, `workTypes[${i}]`)))],
    ...ratingsOf(input),
  };
  const controls = controlsOf(input.controls, 'controls', true);
  // Another site's site is refused before any read, with the answer a random or not yet known site gets.
  if (!inSiteScope(caller, fields.siteId)) throw unknownLocation('SITE', fields.siteId, 'siteId');
  return db.transaction(async (manager) => {
    // The site, area and asset must be known from Work's registry, of that site and in the caller's scope.
    await requirePlace(manager, fields);
    const hazard = await insertHazard(manager, { ...fields, active: true, retiredReason: null, createdById: caller.id });
    const saved = await replaceControlsOfHazard(manager, hazard.id, controls);
    await emit({ manager, caller, requestId }, 'hazard.registered', hazard.id, hazardFact(hazard, saved, caller.id));
    return hazard;
  });
}

async function changeHazard(db: EntityManager, caller: Caller, id: string, requestId: string | undefined, change: (ctx: ChangeContext, hazard: Hazard) => Promise<{ type: string; controls: HazardControl[] }>) {
  const hazardId = requireUuid(id);
  return db.transaction(async (manager) => {
    const hazard = await lockHazard(manager, hazardId);
    if (!hazard || !inSiteScope(caller, hazard.siteId)) throw notFound('hazard', hazardId);
    const ctx = { manager, caller, requestId };
    const { type, controls } = await change(ctx, hazard);
    await saveHazard(manager, hazard);
    await emit(ctx, type, hazard.id, hazardFact(hazard, controls, caller.id));
    return hazard;
  });
}

export function reassessHazard(db: EntityManager, caller: Caller, id: string, input: ReassessHazardInput, requestId?: string) {
  requireRegisterKeeper(caller);
  const ratings = ratingsOf(input);
  const controls = input.controls ? controlsOf(input.controls, 'controls', true) : null;
  return changeHazard(db, caller, id, requestId, async ({ manager }, hazard) => {
    if (!hazard.active) throw illegalTransition('hazard', 'retired', 'reassess');
    Object.assign(hazard, ratings);
    const saved = controls ? await replaceControlsOfHazard(manager, hazard.id, controls) : await controlsOfHazard(manager, hazard.id);
    return { type: 'hazard.reassessed', controls: saved };
  });
}

export function retireHazard(db: EntityManager, caller: Caller, id: string, reason: string, requestId?: string) {
  requireRegisterKeeper(caller);
  const why = requireText(reason, 'reason', { max: 2000 });
  return changeHazard(db, caller, id, requestId, async ({ manager }, hazard) => {
    if (!hazard.active) throw illegalTransition('hazard', 'retired', 'retire');
    hazard.active = false;
    hazard.retiredReason = why;
    return { type: 'hazard.retired', controls: await controlsOfHazard(manager, hazard.id) };
  });
}

export async function getHazard(db: EntityManager, caller: Caller, id: string): Promise<Hazard> {
  const hazard = await hazardById(db, requireUuid(id));
  if (!hazard || !inSiteScope(caller, hazard.siteId)) throw notFound('hazard', id);
  return hazard;
}

/** Highest inherent risk first, keyset-paginated on (riskRating desc, id). */
export async function listHazards(db: EntityManager, caller: Caller, filter: HazardFilter | null | undefined, first?: number | null, after?: string | null): Promise<Connection<Hazard>> {
  const f = filter ?? {};
  const limit = pageSize(first);
  const cursor = decodeCursor(after, 2);
  const conditions: HazardConditions = { active: f.active ?? true };
  for (const key of ['siteId', 'areaId', 'assetId'] as const) {
    const value = optionalUuid(f[key], `filter.${key}`);
    if (value) conditions[key] = value;
  }
  if (f.workType) conditions.workType = oneOf(WORK_ITEM_TYPES, f.workType, 'filter.workType');
  if (f.minBand) conditions.minRating = minRatingOf(oneOf(RISK_BANDS, f.minBand, 'filter.minBand'));
  if (f.text) conditions.text = requireText(f.text, 'filter.text', { max: 200 });
  const [rows, total] = await hazardsPage(db, caller, conditions, limit, cursor ? { rating: Number(cursor[0]), id: requireUuid(cursor[1], 'after') } : undefined);
  return toConnection(rows, limit, total, (h) => encodeCursor([h.riskRating, h.id]));
}
