import type { EntityManager } from 'typeorm';

/** Work's punch items as this domain knows them (entities/punch-item.ts). */

/** Records a punch item's category and references, unless an event newer than `time` already did. */
export async function upsertPunchItem(db: EntityManager, row: { workItemId: string; category: 'A' | 'B'; project: string; system: string | null; milestone: string | null; time: Date }): Promise<void> {
  await db.query(
    `INSERT INTO tracked_punch_item (work_item_id, category, project, system, milestone, last_event_at) VALUES ($1, $2, $3, $4, $5, $6)
     ON CONFLICT (work_item_id) DO UPDATE SET category = EXCLUDED.category, project = EXCLUDED.project, system = EXCLUDED.system, milestone = EXCLUDED.milestone, last_event_at = EXCLUDED.last_event_at
     WHERE tracked_punch_item.last_event_at <= EXCLUDED.last_event_at`,
    [row.workItemId, row.category, row.project, row.system, row.milestone, row.time],
  );
}

export interface OpenPunchItem {
  workItemId: string;
  number: string;
  status: string;
  areaId: string | null;
  lineId: string | null;
  lastEventAt: Date;
  project: string;
  system: string | null;
  milestone: string | null;
}

/** Category A punch items not verified done nor cancelled (of one site, when given), as the request may see them. */
export function openCategoryAPunchItems(db: EntityManager, statuses: readonly string[], siteId: string | null): Promise<OpenPunchItem[]> {
  return db.query(
    `SELECT t.work_item_id AS "workItemId", t.number, t.status, t.area_id AS "areaId", t.line_id AS "lineId", t.last_event_at AS "lastEventAt", p.project, p.system, p.milestone
       FROM tracked_punch_item p JOIN tracked_work_item t ON t.work_item_id = p.work_item_id
      WHERE p.category = 'A' AND t.status = ANY($1) AND ($2::uuid IS NULL OR t.site_id = $2)
      ORDER BY t.number`,
    [statuses, siteId],
  );
}
