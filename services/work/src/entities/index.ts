import { inboxEntities, outboxEntities } from '@opsgraph/events';
import { Area, Asset, Line, Site } from './location';
import { Evidence, ShiftLogEntry, Transition } from './history';
import { Prerequisite } from './prerequisite';
import { WorkItem } from './work-item';
import { WorkRequest } from './work-request';

export * from './location';
export * from './work-item';
export * from './prerequisite';
export * from './history';
export * from './work-request';

export const entities = [Site, Area, Line, Asset, WorkItem, Prerequisite, Transition, Evidence, ShiftLogEntry, WorkRequest, ...outboxEntities, ...inboxEntities];
