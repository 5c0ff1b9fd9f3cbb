import { DomainError, ErrorCode, illegalTransition, notFound, oneOf, optionalText, requireRole, requireText, requireUuid, type Caller } from '@opsgraph/core';
import { recordEvent } from '@opsgraph/events';
import type { EntityManager } from 'typeorm';
import { FINAL_STATUSES, ISOLATION_METHODS, isolationState, type Isolation, type IsolationMethod, type Permit } from '../entities';
import { insertIsolation, isolationById, lockIsolation, saveIsolation } from '../store/isolations';
import { PERMIT_PERMISSIONS } from './permissions';
import { changePermit, lockPermit, permitVisible, type ChangeContext } from './permits';
import { requirePermitPlaces } from './places';

export interface IsolationInput {
  assetId: string;
  point: string;
  method: IsolationMethod;
  tag?: string | null;
}

export function isolationOf(input: IsolationInput, field: string) {
  return {
    assetId: requireUuid(input.assetId, `${field}.assetId`),
    point: requireText(input.point, `${field}.point`, { max: 300 }),
    method: oneOf(ISOLATION_METHODS, input.method, `${field}.method`),
    tag: optionalText(input.tag, `${field}.tag`, 100),
  };
}

/** Isolations are planned while the permit is prepared, or while it is suspended (before reinstating). */
const PLANNING: Permit['status'][] = ['DRAFT', 'REQUESTED', 'APPROVED', 'SUSPENDED'];

export function addIsolation(db: EntityManager, caller: Caller, permitId: string, input: IsolationInput, requestId?: string) {
  requireRole(caller, ...PERMIT_PERMISSIONS.planIsolations);
  const fields = isolationOf(input, 'input');
  return changePermit(db, caller, permitId, requestId, async (ctx, permit) => {
    if (!PLANNING.includes(permit.status)) throw illegalTransition('permit', permit.status, 'add an isolation to');
    // The isolated asset is one of the permit's site, known here and in the caller's scope.
    await requirePermitPlaces(ctx.manager, { siteId: permit.siteId, isolations: [{ assetId: fields.assetId }] }, 'input');
    return insertIsolation(ctx.manager, { ...fields, permitId: permit.id, plannedById: caller.id });
  });
}

/**
 * Runs one change on one isolation. The permit is locked first (as issuing does), so an isolation cannot
 * change while its permit is being issued or closed.
 */
async function changeIsolation(db: EntityManager, caller: Caller, id: string, requestId: string | undefined, change: (ctx: ChangeContext, isolation: Isolation, permit: Permit) => Promise<string>) {
  const isolationId = requireUuid(id);
  return db.transaction(async (manager) => {
    const found = await isolationById(manager, isolationId);
    if (!found) throw notFound('isolation', isolationId);
    const permit = await lockPermit(manager, found.permitId);
    if (!permitVisible(caller, permit)) throw notFound('isolation', isolationId);
    const isolation = (await lockIsolation(manager, isolationId))!;
    const ctx: ChangeContext = { manager, caller, requestId, now: new Date() };
    const event = await change(ctx, isolation, permit);
    await saveIsolation(manager, isolation);
    await recordEvent(manager, {
      domain: 'permits',
      type: `isolation.${event}`,
      subject: permit.id,
      data: {
        isolationId: isolation.id,
        permitId: permit.id,
        number: permit.number,
        assetId: isolation.assetId,
        point: isolation.point,
        method: isolation.method,
        tag: isolation.tag,
        actorId: caller.id,
        at: ctx.now.toISOString(),
      },
      requestId,
    });
    return isolation;
  });
}

function expectState(isolation: Isolation, allowed: ReturnType<typeof isolationState>[], action: string) {
  const state = isolationState(isolation);
  if (!allowed.includes(state)) throw illegalTransition('isolation', state, action);
}

export function applyIsolation(db: EntityManager, caller: Caller, id: string, tag?: string | null, requestId?: string) {
  requireRole(caller, ...PERMIT_PERMISSIONS.applyIsolations);
  const tagText = optionalText(tag, 'tag', 100);
  return changeIsolation(db, caller, id, requestId, async (ctx, isolation, permit) => {
    if (FINAL_STATUSES.includes(permit.status)) throw illegalTransition('permit', permit.status, 'apply an isolation of');
    expectState(isolation, ['PLANNED'], 'apply');
    isolation.appliedById = caller.id;
    isolation.appliedAt = ctx.now;
    if (tagText) isolation.tag = tagText;
    return 'applied';
  });
}

export function verifyIsolation(db: EntityManager, caller: Caller, id: string, requestId?: string) {
  requireRole(caller, ...PERMIT_PERMISSIONS.verifyIsolations);
  return changeIsolation(db, caller, id, requestId, async (ctx, isolation, permit) => {
    if (FINAL_STATUSES.includes(permit.status)) throw illegalTransition('permit', permit.status, 'verify an isolation of');
    expectState(isolation, ['APPLIED'], 'verify');
    // Verifying checks both the plan (right point, right method) and the work: neither its planner nor its
    // applier checks their own. A removed isolation is never verified, so its remover cannot be either.
    if (isolation.appliedById === caller.id) {
      throw new DomainError(ErrorCode.SEPARATION_OF_DUTIES, 'the person who applied an isolation cannot verify it', { isolationId: isolation.id, part: 'APPLIER' });
    }
    if (isolation.plannedById === caller.id) {
      throw new DomainError(ErrorCode.SEPARATION_OF_DUTIES, 'the person who planned an isolation cannot verify it', { isolationId: isolation.id, part: 'PLANNER' });
    }
    isolation.verifiedById = caller.id;
    isolation.verifiedAt = ctx.now;
    return 'verified';
  });
}

/** Removing restores energy to the asset; allowed in any permit state, since ended permits must be cleared too. */
export function removeIsolation(db: EntityManager, caller: Caller, id: string, requestId?: string) {
  requireRole(caller, ...PERMIT_PERMISSIONS.applyIsolations);
  return changeIsolation(db, caller, id, requestId, async (ctx, isolation) => {
    expectState(isolation, ['APPLIED', 'VERIFIED'], 'remove');
    isolation.removedById = caller.id;
    isolation.removedAt = ctx.now;
    return 'removed';
  });
}
