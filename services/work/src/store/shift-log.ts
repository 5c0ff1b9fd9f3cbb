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
