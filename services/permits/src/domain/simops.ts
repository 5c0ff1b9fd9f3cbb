import { DomainError, ErrorCode, badInput, requireText, requireUuid, withSystemScope, type Caller } from '@opsgraph/core';
import { recordEvent } from '@opsgraph/events';
import type { EntityManager } from 'typeorm';
import { FINAL_STATUSES, type Permit, type PermitStatus, type SimopsAction, type SimopsDecision } from '../entities';
import { assetPlaces } from '../store/known-locations';
import { decisionsInvolving, insertSimopsDecision, lockSiteForSimops, permitsOfSitesIn } from '../store/simops';
import { conflictsAt, simopsRule, type SimopsProximity } from './simops-table';
import { permitVisible, type ChangeContext } from './permits';

/**
 * Simultaneous operations: a permit is issued (or reinstated) only when no other live permit of its site
 * conflicts with it by the table in simops-table.ts, or with the issuer's explicit decision naming each conflict
 * and the controls that make both jobs safe. Both permits then show the conflict (`simultaneousOperations`).
 */

/**
 * Permits whose work may be going on: issued, and suspended (work stopped, but a line may still be open or a
 * space entered, and it comes back by reinstatement). An approved permit is not live yet: its own issue is checked.
 */
export const LIVE_STATUSES: PermitStatus[] = ['ISSUED', 'SUSPENDED'];

/** Where a permit's work is: its assets, their lines, and its area with its assets' areas. */
interface Places {
  assets: Set<string>;
  lines: Set<string>;
  areas: Set<string>;
}

/** Another live permit conflicting with a permit, how close they are and by which row of the table. */
export interface Conflict {
  other: Permit;
  proximity: SimopsProximity;
  /** The asset, line or area they share. */
  placeId: string;
  reason: string;
}

/** The places of permits, from the known places copy (libs/core/src/places.ts): one statement. */
async function placesOf(db: EntityManager, permits: Permit[]): Promise<Map<string, Places>> {
  const assetIds = [...new Set(permits.flatMap((p) => p.assetIds))];
  const known = new Map((assetIds.length ? await assetPlaces(db, assetIds) : []).map((a) => [a.id, a]));
  return new Map(
    permits.map((p) => {
      const assets = p.assetIds.map((id) => known.get(id));
      return [
        p.id,
        {
          assets: new Set(p.assetIds),
          lines: new Set(assets.flatMap((a) => (a?.lineId ? [a.lineId] : []))),
          areas: new Set([...(p.areaId ? [p.areaId] : []), ...assets.flatMap((a) => (a?.areaId ? [a.areaId] : []))]),
        },
      ];
    }),
  );
}

/** The narrowest place two permits share, or null. A permit with neither area nor asset is placed nowhere finer than its site. */
function proximityOf(a: Places, b: Places): { proximity: SimopsProximity; placeId: string } | null {
  const shared = (x: Set<string>, y: Set<string>) => [...x].sort().find((id) => y.has(id));
  const asset = shared(a.assets, b.assets);
  if (asset) return { proximity: 'ASSET', placeId: asset };
  const line = shared(a.lines, b.lines);
  if (line) return { proximity: 'LINE', placeId: line };
  const area = shared(a.areas, b.areas);
  return area ? { proximity: 'AREA', placeId: area } : null;
}

/**
 * For each permit not yet ended, the other live permits of its site it conflicts with by the table, by number:
 * two statements for any number of permits (the sites' live permits, the places of their assets).
 */
export async function liveConflicts(db: EntityManager, permits: Permit[]): Promise<Map<string, Conflict[]>> {
  const open = permits.filter((p) => !FINAL_STATUSES.includes(p.status));
  const result = new Map<string, Conflict[]>(permits.map((p) => [p.id, []]));
  if (!open.length) return result;
  const live = await permitsOfSitesIn(db, [...new Set(open.map((p) => p.siteId))], LIVE_STATUSES);
  const all = new Map([...open, ...live].map((p) => [p.id, p]));
  const places = await placesOf(db, [...all.values()]);
  for (const permit of open) {
    const conflicts: Conflict[] = [];
    for (const other of live) {
      if (other.id === permit.id || other.siteId !== permit.siteId) continue;
      const near = proximityOf(places.get(permit.id)!, places.get(other.id)!);
      if (near && conflictsAt(permit.type, other.type, near.proximity)) conflicts.push({ other, ...near, reason: simopsRule(permit.type, other.type).why });
    }
    result.set(permit.id, conflicts);
  }
  return result;
}

// ---------- what a caller is told ----------

const words = (type: string) => type.toLowerCase().replace(/_/g, ' ');
const PROXIMITY_WORDS: Record<SimopsProximity, string> = { ASSET: 'on the same asset', LINE: 'on the same line', AREA: 'in the same area' };

/**
 * A conflict as a caller may be told it: the other permit by number only when they may see it, else "a live
 * permit of another party" (its type, where and why still said: it counts whoever may see it).
 */
function conflictFor(caller: Caller, conflict: Conflict) {
  const seen = permitVisible(caller, conflict.other);
  return {
    permitId: seen ? conflict.other.id : null,
    number: seen ? conflict.other.number : null,
    permitType: conflict.other.type,
    status: conflict.other.status,
    proximity: conflict.proximity,
    placeId: conflict.placeId,
    reason: conflict.reason,
    text: `${seen ? conflict.other.number : 'a live permit of another party'} (${words(conflict.other.type)}, ${conflict.other.status.toLowerCase()}) ${PROXIMITY_WORDS[conflict.proximity]}: ${conflict.reason.replace(/\.$/, '')}`,
  };
}

// ---------- the decision ----------

export interface SimopsDecisionInput {
  controls: string;
  conflicts: { permitId: string }[];
}

export interface CheckedDecision {
  controls: string;
  permitIds: string[];
}

/** Checks a decision's input before any transaction opens. */
export function checkedDecision(input: SimopsDecisionInput | null | undefined): CheckedDecision | null {
  if (!input) return null;
  const controls = requireText(input.controls, 'simopsDecision.controls', { max: 4000 });
  const list = input.conflicts ?? [];
  if (!list.length) throw badInput('a decision names the conflicting permits it covers', { field: 'simopsDecision.conflicts' });
  if (list.length > 50) throw badInput('at most 50 conflicting permits', { field: 'simopsDecision.conflicts' });
  const permitIds = [...new Set(list.map((c, i) => requireUuid(c.permitId, `simopsDecision.conflicts[${i}].permitId`)))];
  return { controls, permitIds };
}

/**
 * Before a permit is issued or reinstated: every other live permit of its site is looked at, whoever may see
 * it (system scope: a conflict the issuer cannot see still blocks), with the site's issuing serialised. Each
 * conflict needs the decision to name it; a conflict the caller may not see cannot be decided by them. The
 * refusal (SIMOPS_CONFLICT) lists what is undecided, naming only what the caller may see. Returns the conflicts.
 */
export async function checkSimultaneousOperations(
  ctx: ChangeContext,
  permit: Permit,
  decision: CheckedDecision | null,
  action: string,
): Promise<Conflict[]> {
  const conflicts = await withSystemScope(ctx.manager, 'simultaneous operations: every live permit of the site, seen or not', async (manager) => {
    await lockSiteForSimops(manager, permit.siteId);
    return (await liveConflicts(manager, [permit])).get(permit.id) ?? [];
  });
  const decidable = conflicts.filter((c) => permitVisible(ctx.caller, c.other));
  for (const [i, id] of (decision?.permitIds ?? []).entries()) {
    // The same answer for a random id, a hidden permit and one that does not conflict: nothing is told.
    if (!decidable.some((c) => c.other.id === id)) {
      throw badInput(`permit ${id} is not a live permit conflicting with ${permit.number}: read its simultaneousOperations again`, { field: `simopsDecision.conflicts[${i}].permitId`, id });
    }
  }
  const undecided = conflicts.filter((c) => !decision?.permitIds.includes(c.other.id));
  if (undecided.length) {
    const told = undecided.map((c) => conflictFor(ctx.caller, c));
    const hidden = told.some((c) => !c.permitId);
    throw new DomainError(
      ErrorCode.SIMOPS_CONFLICT,
      `cannot ${action} permit ${permit.number}: live work nearby conflicts with it: ${told.map((c) => c.text).join('; ')}; ` +
        (hidden ? 'a permit you may not see can only be decided by someone who may' : 'record a simopsDecision naming each conflict with the controls that make both jobs safe'),
      { conflicts: told.map(({ text: _text, ...c }) => c) },
    );
  }
  return conflicts;
}

/** Records the decision with the history entry it allowed, and its fact. */
export async function recordDecision(ctx: ChangeContext, permit: Permit, transitionId: string, action: SimopsAction, decision: CheckedDecision, conflicts: Conflict[]): Promise<SimopsDecision> {
  const covered = conflicts.filter((c) => decision.permitIds.includes(c.other.id));
  const row = await insertSimopsDecision(ctx.manager, {
    permitId: permit.id,
    transitionId,
    action,
    conflictingPermitIds: covered.map((c) => c.other.id),
    controls: decision.controls,
    decidedById: ctx.caller.id,
    decidedAt: ctx.now,
  });
  await recordEvent(ctx.manager, {
    domain: 'permits',
    type: 'permit.simops_decided',
    subject: permit.id,
    data: {
      permitId: permit.id,
      number: permit.number,
      permitType: permit.type,
      siteId: permit.siteId,
      action,
      controls: decision.controls,
      conflicts: covered.map((c) => ({ permitId: c.other.id, number: c.other.number, permitType: c.other.type, proximity: c.proximity, placeId: c.placeId })),
      actorId: ctx.caller.id,
      at: ctx.now.toISOString(),
    },
    requestId: ctx.requestId,
  });
  return row;
}

// ---------- what readers see ----------

/** A conflict as `Permit.simultaneousOperations` shows it: the other permit only to whoever may see it. */
export interface SimopsConflictView {
  permit: Permit | null;
  type: Permit['type'];
  status: PermitStatus;
  proximity: SimopsProximity;
  placeId: string;
  reason: string;
  decision: SimopsDecision | null;
}

/**
 * The live conflicts of each permit with the latest decision that let the pair be live (recorded on either
 * of them): three statements for a whole list. Read in the caller's scope; the other permit of a conflict is
 * always of the same site, and is shown only when the caller may see it.
 */
export async function simultaneousOperations(db: EntityManager, caller: Caller, permits: readonly Permit[]): Promise<SimopsConflictView[][]> {
  const conflicts = await liveConflicts(db, [...permits]);
  const pairs = [...conflicts.values()].flat();
  const decisions = pairs.length ? await decisionsInvolving(db, permits.map((p) => p.id)) : [];
  const decisionOf = (a: string, b: string) =>
    decisions.filter((d) => (d.permitId === a && d.conflictingPermitIds.includes(b)) || (d.permitId === b && d.conflictingPermitIds.includes(a))).at(-1) ?? null;
  return permits.map((p) =>
    (conflicts.get(p.id) ?? []).map((c) => ({
      permit: permitVisible(caller, c.other) ? c.other : null,
      type: c.other.type,
      status: c.other.status,
      proximity: c.proximity,
      placeId: c.placeId,
      reason: c.reason,
      decision: decisionOf(p.id, c.other.id),
    })),
  );
}
