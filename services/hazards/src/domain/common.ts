import { recordEvent } from '@opsgraph/events';
import type { Caller } from '@opsgraph/core';
import type { EntityManager } from 'typeorm';

/** What a change runs with: the transaction, who asked and the request id that travels into events. */
export interface ChangeContext {
  manager: EntityManager;
  caller: Caller;
  requestId?: string;
}

/** Records a hazards event in the caller's transaction (validated against libs/events/src/schemas/hazards.ts). */
export const emit = (ctx: ChangeContext, type: string, subject: string, data: Record<string, unknown>) =>
  recordEvent(ctx.manager, { domain: 'hazards', type, subject, data, requestId: ctx.requestId });
