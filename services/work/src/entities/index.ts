import { inboxEntities, outboxEntities } from '@opsgraph/events';
import { Area, Asset, Line, Site } from './location';
import { Evidence, ShiftLogEntry, Transition } from './history';
import { Prerequisite } from './prerequisite';
import { WorkItem } from './work-item';
import { WorkRequest } from './work-request';
import { PrerequisiteFact } from './prerequisite-fact';
import { AssetHold } from './asset-hold';
import { ConditionClearance, HandoverRecord, StandingCondition } from './handover';
import { WorkTemplate } from './work-template';

export * from './location';
export * from './work-item';
export * from './prerequisite';
export * from './history';
export * from './work-request';
export * from './prerequisite-fact';
export * from './asset-hold';
export * from './handover';
export * from './work-template';

export const entities = [Site, Area, Line, Asset, WorkItem, Prerequisite, Transition, Evidence, ShiftLogEntry, WorkRequest, PrerequisiteFact, AssetHold, HandoverRecord, StandingCondition, ConditionClearance, WorkTemplate, ...outboxEntities, ...inboxEntities];
export * from './work-details';
