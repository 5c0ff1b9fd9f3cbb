import type { WorkEventData } from '@opsgraph/core';
import type { EntityManager } from 'typeorm';
import { upsertPunchItem } from '../store/punch-items';

/** The punch item details Work's created and details_changed events carry (libs/events/src/schemas/work.ts). */
interface PunchDetails {
  category: 'A' | 'B';
  project: string;
  system?: string | null;
  milestone?: string | null;
}

/** Keeps a punch item's category from Work's event, for "may we restart?" (category A holds up a restart). */
export async function keepPunchItem(manager: EntityManager, data: WorkEventData, time: Date): Promise<void> {
  const punch = (data as WorkEventData & { details?: { punchItem?: PunchDetails } }).details?.punchItem;
  if (data.workType !== 'PUNCH_ITEM' || !punch) return;
  await upsertPunchItem(manager, { workItemId: data.workItemId, category: punch.category, project: punch.project, system: punch.system ?? null, milestone: punch.milestone ?? null, time });
}
