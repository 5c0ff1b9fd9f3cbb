import { badInput, illegalTransition, optionalDate, optionalText, requireRole, type Caller } from '@opsgraph/core';
import { recordEvent } from '@opsgraph/events';
import type { EntityManager } from 'typeorm';
import { DEFAULT_GAS_LIMITS, FINAL_STATUSES, gasFailures, type GasLimits } from '../entities';
import { insertGasTest } from '../store/gas-tests';
import { PERMIT_PERMISSIONS } from './permissions';
import { changePermit, suspendIn } from './permits';

export interface GasTestInput {
  o2: number;
  lel: number;
  h2s: number;
  co: number;
  limits?: GasLimits | null;
  location?: string | null;
  testedAt?: Date | string | null;
  expiresAt?: Date | string | null;
}

const DEFAULT_VALIDITY_MS = 4 * 3600_000;
const MAX_VALIDITY_MS = 24 * 3600_000;
/** Clocks of handheld meters and servers differ a little; a reading is never accepted from the future. */
const CLOCK_SKEW_MS = 60_000;

function reading(value: unknown, field: string, max: number): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0 || value > max) throw badInput(`${field} must be a number from 0 to ${max}`, { field });
  return value;
}

function limitsOf(input: GasLimits | null | undefined): GasLimits {
  if (!input) return DEFAULT_GAS_LIMITS;
  const limits = {
    o2Min: reading(input.o2Min, 'limits.o2Min', 100),
    o2Max: reading(input.o2Max, 'limits.o2Max', 100),
    lelMax: reading(input.lelMax, 'limits.lelMax', 100),
    h2sMax: reading(input.h2sMax, 'limits.h2sMax', 1_000_000),
    coMax: reading(input.coMax, 'limits.coMax', 1_000_000),
  };
  if (limits.o2Min >= limits.o2Max) throw badInput('limits.o2Min must be below limits.o2Max', { field: 'limits.o2Min' });
  return limits;
}

function validate(input: GasTestInput, now: Date) {
  const testedAt = optionalDate(input.testedAt, 'testedAt') ?? now;
  if (testedAt.getTime() > now.getTime() + CLOCK_SKEW_MS) throw badInput('testedAt cannot be in the future', { field: 'testedAt' });
  const expiresAt = optionalDate(input.expiresAt, 'expiresAt') ?? new Date(testedAt.getTime() + DEFAULT_VALIDITY_MS);
  if (expiresAt <= testedAt) throw badInput('expiresAt must be after testedAt', { field: 'expiresAt' });
  if (expiresAt.getTime() - testedAt.getTime() > MAX_VALIDITY_MS) throw badInput('a gas test is valid for at most 24 hours', { field: 'expiresAt' });
  const readings = {
    o2: reading(input.o2, 'o2', 100),
    lel: reading(input.lel, 'lel', 100),
    h2s: reading(input.h2s, 'h2s', 1_000_000),
    co: reading(input.co, 'co', 1_000_000),
  };
  const limits = limitsOf(input.limits);
  return { ...readings, limits, withinLimits: gasFailures(readings, limits).length === 0, location: optionalText(input.location, 'location', 300), testedAt, expiresAt };
}

export function recordGasTest(db: EntityManager, caller: Caller, permitId: string, input: GasTestInput, requestId?: string) {
  requireRole(caller, ...PERMIT_PERMISSIONS.recordGasTests);
  const fields = validate(input, new Date());
  return changePermit(db, caller, permitId, requestId, async (ctx, permit) => {
    if (FINAL_STATUSES.includes(permit.status)) throw illegalTransition('permit', permit.status, 'record a gas test on');
    const test = await insertGasTest(ctx.manager, { ...fields, permitId: permit.id, testedById: caller.id });
    await recordEvent(ctx.manager, {
      domain: 'permits',
      type: 'gas_test.recorded',
      subject: permit.id,
      data: {
        gasTestId: test.id,
        permitId: permit.id,
        number: permit.number,
        readings: { o2: test.o2, lel: test.lel, h2s: test.h2s, co: test.co },
        limits: test.limits,
        withinLimits: test.withinLimits,
        failures: gasFailures(test, test.limits),
        actorId: caller.id,
        testedAt: test.testedAt.toISOString(),
        expiresAt: test.expiresAt.toISOString(),
      },
      requestId,
    });
    // A reading outside limits under an issued permit stops the work at once, whoever took it.
    if (permit.status === 'ISSUED' && !test.withinLimits) {
      await suspendIn(ctx, permit, `gas test outside limits (${gasFailures(test, test.limits).join(', ')}): work must stop`);
    }
    return test;
  });
}
