import { KnownLocation, TrackedWorkItem } from '@opsgraph/core';
import { inboxEntities, outboxEntities } from '@opsgraph/events';
import { ChangeApproval, ChangeGate, ChangeRequest, ChangeTransition, StartupAuthorization } from './change-request';
import { ChangeTask, PermitCover, PreStartupCheck, WorkContractor } from './work';

export * from './change-request';
export * from './work';

export const entities = [ChangeRequest, ChangeApproval, ChangeTransition, ChangeGate, StartupAuthorization, ChangeTask, PreStartupCheck, WorkContractor, PermitCover, TrackedWorkItem, KnownLocation, ...outboxEntities, ...inboxEntities];
