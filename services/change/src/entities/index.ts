import { KnownLocation, TrackedWorkItem } from '@opsgraph/core';
import { inboxEntities, outboxEntities } from '@opsgraph/events';
import { ChangeApproval, ChangeGate, ChangeRequest, ChangeTransition } from './change-request';
import { ChangeTask, PreStartupCheck, WorkContractor } from './work';

export * from './change-request';
export * from './work';

export const entities = [ChangeRequest, ChangeApproval, ChangeTransition, ChangeGate, ChangeTask, PreStartupCheck, WorkContractor, TrackedWorkItem, KnownLocation, ...outboxEntities, ...inboxEntities];
