import { inboxEntities, outboxEntities } from '@opsgraph/events';
import { Area, Asset, Line, Site } from './location';
import { Evidence, ShiftLogEntry, Transition } from './history';
import { Prerequisite } from './prerequisite';
import { WorkItem } from './work-item';
import { WorkRequest } from './work-request';
import { PrerequisiteFact } from './prerequisite-fact';
import { ConditionClearance, HandoverRecord, StandingCondition } from './handover';

export * from './location';
export * from './work-item';
export * from './prerequisite';
export * from './history';
export * from './work-request';
export * from './prerequisite-fact';
export * from './handover';

export const entities = [Site, Area, Line, Asset, WorkItem, Prerequisite, Transition, Evidence, ShiftLogEntry, WorkRequest, PrerequisiteFact, HandoverRecord, StandingCondition, ConditionClearance, ...outboxEntities, ...inboxEntities];
