import { In, type EntityManager } from 'typeorm';
import { KnownWorkItem } from '../entities';

/** Work items Permits knows from Work's events: where each is and whose job it is (written once, never changed). */

/** Remembers a work item; a second time changes nothing. */
export async function insertKnownWorkItem(db: EntityManager, row: Pick<KnownWorkItem, 'workItemId' | 'siteId' | 'contractorCompany'>): Promise<void> {
  await db.createQueryBuilder().insert().into(KnownWorkItem).values(row).orIgnore().execute();
}

/** The known items with these ids (that the request may see). */
export function knownWorkItems(db: EntityManager, workItemIds: string[]): Promise<KnownWorkItem[]> {
  return db.findBy(KnownWorkItem, { workItemId: In(workItemIds) });
}
