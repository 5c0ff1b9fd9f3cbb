import { selectRowsWhere } from '@opsgraph/core';
import type { EntityManager } from 'typeorm';
import { ShiftLogEntry } from '../entities';

/** The shift log: notes written per site, area and shift, read back in the handover. */

export function saveShiftLogEntry(db: EntityManager, entry: Omit<ShiftLogEntry, 'id'>) {
  return db.getRepository(ShiftLogEntry).save(entry);
}

/** A shift's notes in a window, those flagged for the next shift first, then by time. */
export function shiftLogOfShift(db: EntityManager, place: { siteId: string; areaId: string | null }, shift: string, from: Date, to: Date): Promise<ShiftLogEntry[]> {
  return db
    .getRepository(ShiftLogEntry)
    .createQueryBuilder('s')
    .where('s.siteId = :siteId AND s.shift = :shift AND s.at >= :from AND s.at < :to', { siteId: place.siteId, shift, from, to })
    .andWhere(place.areaId ? 's.areaId = :areaId' : '1=1', { areaId: place.areaId ?? undefined })
    .orderBy('s.attentionNextShift', 'DESC')
    .addOrderBy('s.at', 'ASC')
    .getMany();
}

export async function shiftLogEntryById(db: EntityManager, id: string): Promise<ShiftLogEntry | null> {
  const [row] = await selectRowsWhere(db, ShiftLogEntry, 'id = $1', [id]);
  return row ?? null;
}

/**
 * Notes flagged for the next shift that nobody has cleared, of an area and of the whole site (every note of the
 * site when `areaId` is null), oldest first: they stand in every handover until cleared.
 */
export function standingFlaggedNotes(db: EntityManager, place: { siteId: string; areaId: string | null }, limit: number): Promise<ShiftLogEntry[]> {
  const unclear = `attention_next_shift AND NOT EXISTS (SELECT 1 FROM condition_clearance k WHERE k.subject_id = shift_log_entry.id)`;
  return place.areaId
    ? selectRowsWhere(db, ShiftLogEntry, `site_id = $1 AND (area_id = $2 OR area_id IS NULL) AND ${unclear}`, [place.siteId, place.areaId], { order: { at: 'ASC', id: 'ASC' }, limit })
    : selectRowsWhere(db, ShiftLogEntry, `site_id = $1 AND ${unclear}`, [place.siteId], { order: { at: 'ASC', id: 'ASC' }, limit });
}

/** A shift's notes of exactly this place written in [from, until) (until null: up to now), oldest first. */
export function shiftLogWrittenBetween(db: EntityManager, place: { siteId: string; areaId: string | null }, shift: string, from: Date, until: Date | null): Promise<ShiftLogEntry[]> {
  return selectRowsWhere(
    db,
    ShiftLogEntry,
    `site_id = $1 AND area_id IS NOT DISTINCT FROM $2::uuid AND shift = $3 AND at >= $4 AND ($5::timestamptz IS NULL OR at < $5)`,
    [place.siteId, place.areaId, shift, from, until],
    { order: { at: 'ASC', id: 'ASC' } },
  );
}
