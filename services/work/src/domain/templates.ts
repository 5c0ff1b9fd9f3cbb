import { DomainError, ErrorCode, badInput, inSiteScope, notFound, oneOf, optionalText, requireRole, requireText, requireUuid, type Caller } from '@opsgraph/core';
import { requiredOutcome } from '@opsgraph/events';
import type { EntityManager } from 'typeorm';
import { PREREQUISITE_KINDS, PRIORITIES, WORK_ITEM_TYPES, type Priority, type RequiredOutcome, type WorkItemType, type WorkTemplate } from '../entities';
import { siteById } from '../store/locations';
import { insertTemplate, templateByName, templatesOfSite } from '../store/templates';
import { checkDetailPlaces, detailsOf, type WorkDetails, type WorkDetailsInput } from './details';
import { WORK_PERMISSIONS } from './permissions';
import { createWorkItem, type CreateWorkItemInput } from './work-items';

/**
 * Templates per work type (issue 28): a site describes a recurring job once (title, steps, required outcome, default
 * blockers such as a permit type or a qualification, and the type's details) and raises items from it, so the same
 * job is described the same way each time. An item raised from a template is an ordinary item: the template is in
 * its links, and its own place, owner, times and (when given) details and title win over the template's.
 */

export interface WorkTemplateInput {
  siteId: string;
  type: WorkItemType;
  name: string;
  title: string;
  description?: string | null;
  priority?: Priority | null;
  requiredOutcome?: { acceptanceCriteria: string; evidence?: RequiredOutcome['evidence'] | null } | null;
  blockers?: { kind: string; description: string }[] | null;
  details?: WorkDetailsInput | null;
}

export type FromTemplateInput = Omit<CreateWorkItemInput, 'type' | 'siteId' | 'title' | 'requiredOutcome' | 'prerequisites' | 'source' | 'links'> & { title?: string | null };

const MAX_BLOCKERS = 20;

export async function createWorkTemplate(db: EntityManager, caller: Caller, input: WorkTemplateInput): Promise<WorkTemplate> {
  requireRole(caller, ...WORK_PERMISSIONS.manageTemplates);
  const siteId = requireUuid(input.siteId, 'siteId');
  const type = oneOf(WORK_ITEM_TYPES, input.type, 'type');
  const name = requireText(input.name, 'name', { max: 100 });
  const title = requireText(input.title, 'title', { max: 300 });
  const blockers = (input.blockers ?? []).map((b, i) => ({ kind: oneOf(PREREQUISITE_KINDS, b.kind, `blockers[${i}].kind`), description: requireText(b.description, `blockers[${i}].description`, { max: 1000 }) }));
  if (blockers.length > MAX_BLOCKERS) throw badInput(`at most ${MAX_BLOCKERS} blockers`, { field: 'blockers' });
  const fields = {
    siteId,
    type,
    name,
    title,
    description: optionalText(input.description, 'description', 10_000),
    priority: input.priority ? oneOf(PRIORITIES, input.priority, 'priority') : ('MEDIUM' as Priority),
    requiredOutcome: requiredOutcome(input.requiredOutcome, { acceptanceCriteria: `${title}: done as described`, evidence: [] }) as RequiredOutcome,
    blockers,
    details: detailsOf(type, input.details) as Record<string, unknown> | null,
    createdById: caller.id,
  };
  if (!inSiteScope(caller, siteId) || !(await siteById(db, siteId))) throw notFound('site', siteId);
  // The line of a production action is the item's, given when one is raised.
  await checkDetailPlaces(db, { siteId, lineId: null }, fields.details as WorkDetails | null, 'details', { lineGiven: false });
  const template = await insertTemplate(db, fields);
  if (!template) throw new DomainError(ErrorCode.CONFLICT, `the site already has a template named "${name}"`, { field: 'name' });
  return template;
}

/** A template of a site in the caller's scope, by its name (another site's is as unknown as a random one). */
export async function getTemplate(db: EntityManager, caller: Caller, siteId: string, name: string): Promise<WorkTemplate> {
  const site = requireUuid(siteId, 'siteId');
  const wanted = requireText(name, 'template', { max: 100 });
  if (!inSiteScope(caller, site)) throw notFound('site', siteId);
  const template = await templateByName(db, site, wanted);
  if (!template) throw notFound('work template', wanted);
  return template;
}

export async function listTemplates(db: EntityManager, caller: Caller, siteId: string, type?: WorkItemType | null): Promise<WorkTemplate[]> {
  const site = requireUuid(siteId, 'siteId');
  if (!inSiteScope(caller, site)) throw notFound('site', siteId);
  return templatesOfSite(db, site, type ? oneOf(WORK_ITEM_TYPES, type, 'type') : null);
}

/** The details as `createWorkItem` takes them: a round's route without its positions, its schedule without the start it was for. */
function detailsInput(details: WorkDetails | null): WorkDetailsInput | null {
  if (!details) return null;
  if (details.round) {
    const { schedule, route } = details.round;
    return { round: { route: route.map(({ checkpoint: _position, ...c }) => c), ...(schedule ? { schedule: { starts: schedule.starts, allowedMinutes: schedule.allowedMinutes } } : {}) } };
  }
  return details as WorkDetailsInput;
}

/** Raises an item from a site's template, by its name: the template's job, at the place and times given. */
export async function createWorkItemFromTemplate(db: EntityManager, caller: Caller, siteId: string, name: string, input: FromTemplateInput, requestId?: string) {
  requireRole(caller, ...WORK_PERMISSIONS.raiseWork);
  const template = await getTemplate(db, caller, siteId, name);
  return createWorkItem(db, caller, {
    ...input,
    type: template.type,
    siteId: template.siteId,
    title: input.title ?? template.title,
    description: input.description ?? template.description,
    priority: input.priority ?? template.priority,
    requiredOutcome: template.requiredOutcome,
    prerequisites: template.blockers,
    details: input.details ?? detailsInput(template.details as WorkDetails | null),
    links: [{ domain: 'WORK', recordId: template.id, relation: `template "${template.name}"` }],
  }, requestId);
}
