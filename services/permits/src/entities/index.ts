import { outboxEntities } from '@opsgraph/events';
import { GasTest } from './gas-test';
import { Isolation } from './isolation';
import { Permit, PermitSite, PermitTransition } from './permit';

export * from './permit';
export * from './isolation';
export * from './gas-test';

export const entities = [Permit, PermitTransition, PermitSite, Isolation, GasTest, ...outboxEntities];
