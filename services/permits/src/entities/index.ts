import { KnownLocation } from '@opsgraph/core';
import { inboxEntities, outboxEntities } from '@opsgraph/events';
import { GasTest } from './gas-test';
import { Isolation } from './isolation';
import { Permit, PermitSite, PermitTransition } from './permit';
import { SimopsDecision } from './simops-decision';
import { KnownWorkItem } from './work-item';

export * from './permit';
export * from './isolation';
export * from './gas-test';
export * from './work-item';
export * from './simops-decision';

export const entities = [Permit, PermitTransition, PermitSite, Isolation, GasTest, SimopsDecision, KnownWorkItem, KnownLocation, ...outboxEntities, ...inboxEntities];
