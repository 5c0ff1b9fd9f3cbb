import { selectRowsWhere } from '@opsgraph/core';
import type { DeepPartial, EntityManager } from 'typeorm';
import { WorkTemplate, type WorkItemType } from '../entities';

/** Work templates (domain/templates.ts): lookups and the insert. */

export async function templateById(db: EntityManager, id: string): Promise<WorkTemplate | null> {
  const [row] = await selectRowsWhere(db, WorkTemplate, 'id = $1', [id]);
  return row ?? null;
}

/** A site's template by its name. */
export async function templateByName(db: EntityManager, siteId: string, name: string): Promise<WorkTemplate | null> {
  const [row] = await selectRowsWhere(db, WorkTemplate, 'site_id = $1 AND name = $2', [siteId, name]);
  return row ?? null;
}

/** The templates of a site (of one type, when given), by name. */
export function templatesOfSite(db: EntityManager, siteId: string, type: WorkItemType | null): Promise<WorkTemplate[]> {
  return type
    ? selectRowsWhere(db, WorkTemplate, 'site_id = $1 AND type = $2', [siteId, type], { order: 'name' })
    : selectRowsWhere(db, WorkTemplate, 'site_id = $1', [siteId], { order: 'name' });
}

/** A new template; null when the site already has one of this name. */
export async function insertTemplate(db: EntityManager, fields: DeepPartial<WorkTemplate>): Promise<WorkTemplate | null> {
  const rows: { id: string }[] = await db.query(
    `INSERT INTO work_template (site_id, type, name, title, description, priority, required_outcome, blockers, details, created_by_id)
     VALUES ($1, $2, $3, $4, $5, $6, $7::jsonb, $8::jsonb, $9::jsonb, $10) ON CONFLICT (site_id, name) DO NOTHING RETURNING id`,
    [fields.siteId, fields.type, fields.name, fields.title, fields.description ?? null, fields.priority, JSON.stringify(fields.requiredOutcome), JSON.stringify(fields.blockers ?? []), fields.details ? JSON.stringify(fields.details) : null, fields.createdById],
  );
  return rows.length ? templateById(db, rows[0].id) : null;
}
