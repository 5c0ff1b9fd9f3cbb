import { badInput, forbidden, notFound, optionalText, optionalUuid, requireRole, requireText, requireUuid, type Caller } from '@opsgraph/core';
import { recordEvent } from '@opsgraph/events';
import type { EntityManager } from 'typeorm';
import { WORK_PERMISSIONS } from './permissions';
import type { Area, Asset, Line, Site } from '../entities';
import { areaById, assetById, insertArea, insertAsset, insertLine, insertSite, lineById, siteById, siteExists } from '../store/locations';

const CODE = /^[A-Z0-9][A-Z0-9_-]{0,15}$/;

function requireCode(value: unknown, field = 'code'): string {
  const code = requireText(value, field, { max: 16 }).toUpperCase();
  if (!CODE.test(code)) throw badInput(`${field} must be 1-16 letters, digits, - or _`, { field });
  return code;
}

type Location = Site | Area | Line | Asset;

/**
 * Registers a location and publishes it (`location.registered`, in the same transaction) for every
 * supporting domain's copy of the registry, which checks the locations people name there.
 */
async function register<T extends Location>(db: EntityManager, kind: 'SITE' | 'AREA' | 'LINE' | 'ASSET', save: (m: EntityManager) => Promise<T>, requestId?: string): Promise<T> {
  return db.transaction(async (m) => {
    const row = await save(m);
    const place = row as Partial<Asset> & { id: string; code: string; name: string };
    await recordEvent(m, {
      domain: 'work',
      type: 'location.registered',
      subject: row.id,
      requestId,
      data: {
        locationId: row.id,
        kind,
        siteId: kind === 'SITE' ? row.id : place.siteId!,
        areaId: kind === 'AREA' || kind === 'SITE' ? null : (place.areaId ?? null),
        lineId: kind === 'ASSET' ? (place.lineId ?? null) : null,
        ...(kind === 'ASSET' ? { parentAssetId: place.parentId ?? null, assetClass: place.assetClass ?? null } : {}),
        code: row.code,
        name: row.name,
      },
    });
    return row;
  });
}

/** Unique violations become a clear BAD_USER_INPUT instead of a driver error. */
async function insertUnique<T>(what: string, code: string, insert: () => Promise<T>): Promise<T> {
  try {
    return await insert();
  } catch (e) {
    if ((e as { code?: string }).code === '23505') throw badInput(`a ${what} with code ${code} already exists`, { field: 'code' });
    throw e;
  }
}

export async function createSite(db: EntityManager, caller: Caller, input: { code: string; name: string }, requestId?: string) {
  requireRole(caller, ...WORK_PERMISSIONS.manageRegistry);
  // A new site is in no one's scope but an every-site caller's: anyone else could not write it (row-level
  // security) nor see it afterwards.
  if (!caller.sites.includes('*')) throw forbidden('only an administrator of every site can register a new site');
  const code = requireCode(input.code);
  const name = requireText(input.name, 'name', { max: 200 });
  return insertUnique('site', code, () => register(db, 'SITE', (m) => insertSite(m, { code, name }), requestId));
}

export async function createArea(db: EntityManager, caller: Caller, input: { siteId: string; code: string; name: string }, requestId?: string) {
  requireRole(caller, ...WORK_PERMISSIONS.manageRegistry);
  const siteId = requireUuid(input.siteId, 'siteId');
  const code = requireCode(input.code);
  const name = requireText(input.name, 'name', { max: 200 });
  if (!(await siteExists(db, siteId))) throw notFound('site', siteId);
  return insertUnique('area', code, () => register(db, 'AREA', (m) => insertArea(m, { siteId, code, name }), requestId));
}

export async function createLine(db: EntityManager, caller: Caller, input: { areaId: string; code: string; name: string }, requestId?: string) {
  requireRole(caller, ...WORK_PERMISSIONS.manageRegistry);
  const areaId = requireUuid(input.areaId, 'areaId');
  const code = requireCode(input.code);
  const name = requireText(input.name, 'name', { max: 200 });
  const area = await areaById(db, areaId);
  if (!area) throw notFound('area', areaId);
  return insertUnique('line', code, () => register(db, 'LINE', (m) => insertLine(m, { siteId: area.siteId, areaId, code, name }), requestId));
}

export interface AssetInput {
  siteId: string;
  areaId?: string | null;
  lineId?: string | null;
  parentId?: string | null;
  code: string;
  name: string;
  assetClass?: string | null;
}

export async function createAsset(db: EntityManager, caller: Caller, input: AssetInput, requestId?: string) {
  requireRole(caller, ...WORK_PERMISSIONS.manageRegistry);
  const siteId = requireUuid(input.siteId, 'siteId');
  const place = await resolvePlace(db, { siteId, areaId: input.areaId, lineId: input.lineId, assetId: input.parentId }, 'parentId');
  return insertUnique('asset', String(input.code), () =>
    register(db, 'ASSET', (m) => insertAsset(m, {
      siteId,
      areaId: place.areaId,
      lineId: place.lineId,
      parentId: place.assetId,
      code: requireCode(input.code),
      name: requireText(input.name, 'name', { max: 200 }),
      assetClass: optionalText(input.assetClass, 'assetClass', 100),
    }), requestId),
  );
}

export interface Place {
  siteId: string;
  areaId: string | null;
  lineId: string | null;
  assetId: string | null;
}

/**
 * Checks that a site/area/line/asset combination exists and hangs together, and fills in the area and
 * line implied by a more specific location (an asset on line 3 is in line 3's area).
 */
export async function resolvePlace(
  db: EntityManager,
  input: { siteId: string; areaId?: string | null; lineId?: string | null; assetId?: string | null },
  assetField = 'assetId',
): Promise<Place> {
  const siteId = requireUuid(input.siteId, 'siteId');
  let areaId = optionalUuid(input.areaId, 'areaId') ?? null;
  let lineId = optionalUuid(input.lineId, 'lineId') ?? null;
  const assetId = optionalUuid(input.assetId, assetField) ?? null;
  // One after the other: inside a transaction these share one connection, which runs one query at a time
  // (pg warns about, and pg 9 will refuse, queries queued on a busy client).
  // A place of another site is "not found", as a random id is: the answer must not tell that it exists.
  const ofSite = <T extends { siteId: string }>(row: T | null) => (row?.siteId === siteId ? row : null);
  const site = await siteById(db, siteId);
  const asset = assetId ? ofSite(await assetById(db, assetId)) : null;
  const line = lineId ? ofSite(await lineById(db, lineId)) : null;
  const area = areaId ? ofSite(await areaById(db, areaId)) : null;
  if (!site) throw notFound('site', siteId);
  if (assetId && !asset) throw notFound('asset', assetId);
  if (lineId && !line) throw notFound('line', lineId);
  if (areaId && !area) throw notFound('area', areaId);
  const mismatch = (what: string) => badInput(`the ${what} is not in the given site/area/line`, { field: what });
  if (asset) {
    if (lineId && asset.lineId && asset.lineId !== lineId) throw mismatch(assetField);
    if (areaId && asset.areaId && asset.areaId !== areaId) throw mismatch(assetField);
    lineId ??= asset.lineId;
    areaId ??= asset.areaId;
  }
  const lineRow = line ?? (lineId ? await lineById(db, lineId) : null);
  if (lineRow) {
    if (lineRow.siteId !== siteId || (areaId && lineRow.areaId !== areaId)) throw mismatch('lineId');
    areaId ??= lineRow.areaId;
  }
  if (area && area.siteId !== siteId) throw mismatch('areaId');
  return { siteId, areaId, lineId, assetId };
}
