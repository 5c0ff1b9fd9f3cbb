import { KnownLocation, TrackedWorkItem } from '@opsgraph/core';
import { inboxEntities, outboxEntities } from '@opsgraph/events';
import { ChangeApproval, ChangeGate, ChangeRequest, ChangeTransition, StartupAuthorization } from './change-request';
import { ChangeTask, PermitCover, PreStartupCheck, WorkContractor } from './work';
import { TrackedPunchItem } from './punch-item';

export * from './change-request';
export * from './work';
export * from './punch-item';

export const entities = [ChangeRequest, ChangeApproval, ChangeTransition, ChangeGate, StartupAuthorization, ChangeTask, PreStartupCheck, WorkContractor, PermitCover, TrackedWorkItem, TrackedPunchItem, KnownLocation, ...outboxEntities, ...inboxEntities];
