import { loaderGrouped } from '@opsgraph/core';
import type { EntityManager } from 'typeorm';
import { ChangeApproval } from '../entities';

/** The approvers' decisions on changes, one per required role: read, inserted, and loaded per request. */

export function approvalsOfChange(db: EntityManager, changeId: string): Promise<ChangeApproval[]> {
  return db.find(ChangeApproval, { where: { changeId } });
}

export async function insertApproval(db: EntityManager, row: Omit<ChangeApproval, 'id'>): Promise<void> {
  await db.insert(ChangeApproval, row);
}

export const approvalsOfChangeLoader = (db: EntityManager) => loaderGrouped(db, ChangeApproval, 'changeId', { at: 'ASC' });
