import { isContractorOnly, loaderBy, loaderGrouped, selectRowsWhere, type Caller } from '@opsgraph/core';
import type { IncidentSeverity, IncidentStatus, IncidentType } from '@opsgraph/events';
import { LessThanOrEqual, type DeepPartial, type EntityManager } from 'typeorm';
import { Incident, IncidentAction, IncidentHistoryEntry } from '../entities';

/**
 * Incidents and their corrective and preventive actions: reads by id, number and request, the locked read and
 * writes of a change, the filtered and keyset-paginated list (kept to the caller's sites and, for a contractor,
 * to the incidents they reported, on top of row-level security), and the per-request loaders.
 */

/** A filter on incidents with its values already checked (`listIncidents` in domain/incidents.ts). */
export interface IncidentConditions {
  siteId?: string;
  areaId?: string;
  assetId?: string;
  status?: IncidentStatus[];
  severity?: IncidentSeverity[];
  type?: IncidentType[];
}

// ---------- incidents ----------

export function incidentById(db: EntityManager, id: string): Promise<Incident | null> {
  return db.getRepository(Incident).findOneBy({ id });
}

/** An incident that must exist (the consumer reads the incident of an action). */
export function existingIncident(db: EntityManager, id: string): Promise<Incident> {
  return db.findOneByOrFail(Incident, { id });
}

/** The incident numbered INC-`serial`. */
export function incidentBySerial(db: EntityManager, serial: number): Promise<Incident | null> {
  return db.getRepository(Incident).findOneBy({ serial });
}

/** Locks (`FOR UPDATE`) and reads an incident for a change. */
export function lockIncident(db: EntityManager, id: string): Promise<Incident | null> {
  return db.findOne(Incident, { where: { id }, lock: { mode: 'pessimistic_write' } });
}

/** A new incident, with the database's id, serial and times on the returned entity. */
export function insertIncident(db: EntityManager, fields: Partial<Incident>): Promise<Incident> {
  return db.save(db.create(Incident, fields));
}

export function saveIncident(db: EntityManager, incident: Incident): Promise<Incident> {
  return db.save(incident);
}

/** Newest first, keyset-paginated on (serial) below `cursorSerial`, one row more than `limit`, and the total count: two statements. */
export function incidentsPage(db: EntityManager, caller: Caller, filter: IncidentConditions, limit: number, cursorSerial: number | undefined): Promise<[Incident[], number]> {
  const q = db.getRepository(Incident).createQueryBuilder('i');
  if (!caller.sites.includes('*')) q.andWhere('i.siteId IN (:...scopeSites)', { scopeSites: caller.sites.length ? caller.sites : ['00000000-0000-0000-0000-000000000000'] });
  if (isContractorOnly(caller)) q.andWhere('i.reporterId = :reporterId', { reporterId: caller.id });
  for (const key of ['siteId', 'areaId', 'assetId'] as const) {
    const value = filter[key];
    if (value) q.andWhere(`i.${key} = :${key}`, { [key]: value });
  }
  if (filter.status?.length) q.andWhere('i.status IN (:...statuses)', { statuses: filter.status });
  if (filter.severity?.length) q.andWhere('i.severity IN (:...severities)', { severities: filter.severity });
  if (filter.type?.length) q.andWhere('i.type IN (:...types)', { types: filter.type });
  const page = q.clone().orderBy('i.serial', 'DESC').limit(limit + 1);
  if (cursorSerial !== undefined) page.andWhere('i.serial < :cursorSerial', { cursorSerial });
  return Promise.all([page.getMany(), q.getCount()]);
}

/** The incidents in these areas that are not closed, newest first. */
export function openIncidentsInAreas(db: EntityManager, areaIds: readonly string[]): Promise<Incident[]> {
  return selectRowsWhere(db, Incident, `area_id = ANY($1) AND status <> 'CLOSED'`, [areaIds], { order: { serial: 'DESC' } });
}

/** Locks (`FOR UPDATE`) and reads the incident whose effectiveness check asked for the work with this request id. */
export function lockIncidentOfEffectivenessRequest(db: EntityManager, requestId: string): Promise<Incident | null> {
  return db.findOne(Incident, { where: { effectivenessRequestId: requestId }, lock: { mode: 'pessimistic_write' } });
}

/** Closed incidents whose effectiveness check is pending and due by `now`, soonest first. */
export function incidentsWithEffectivenessDue(db: EntityManager, now: Date): Promise<Incident[]> {
  return db.find(Incident, { where: { status: 'CLOSED', effectivenessStatus: 'PENDING', effectivenessCheckAt: LessThanOrEqual(now) }, order: { effectivenessCheckAt: 'ASC' } });
}

// ---------- history ----------

export function insertIncidentHistory(db: EntityManager, fields: DeepPartial<IncidentHistoryEntry>): Promise<IncidentHistoryEntry> {
  return db.save(db.create(IncidentHistoryEntry, fields));
}

// ---------- actions ----------

/** How many actions an incident has (the next one is numbered one more). */
export function countActionsOfIncident(db: EntityManager, incidentId: string): Promise<number> {
  return db.count(IncidentAction, { where: { incidentId } });
}

/** A new action, with the database's id on the returned entity. */
export function insertIncidentAction(db: EntityManager, fields: Partial<IncidentAction>): Promise<IncidentAction> {
  return db.save(db.create(IncidentAction, fields));
}

/** An incident's actions, by number. */
export function actionsOfIncident(db: EntityManager, incidentId: string): Promise<IncidentAction[]> {
  return db.find(IncidentAction, { where: { incidentId }, order: { number: 'ASC' } });
}

/** An incident's actions, in no particular order (the consumer only counts the open ones). */
export function actionsOfIncidentUnordered(db: EntityManager, incidentId: string): Promise<IncidentAction[]> {
  return db.findBy(IncidentAction, { incidentId });
}

/** The action whose work request this is. */
export function actionByRequestId(db: EntityManager, requestId: string): Promise<IncidentAction | null> {
  return db.findOneBy(IncidentAction, { requestId });
}

// ---------- per-request loaders (one statement per tick) ----------

export const incidentLoader = (db: EntityManager) => loaderBy(db, Incident);
export const historyOfIncidentLoader = (db: EntityManager) => loaderGrouped(db, IncidentHistoryEntry, 'incidentId', { at: 'ASC' });
export const actionsOfIncidentLoader = (db: EntityManager) => loaderGrouped(db, IncidentAction, 'incidentId', { number: 'ASC' });
