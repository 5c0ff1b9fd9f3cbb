import { KnownLocation } from '@opsgraph/core';
import { inboxEntities, outboxEntities } from '@opsgraph/events';
import { CompetenceRecord } from './competence-record';
import { Person } from './person';
import { Qualification, QualificationRequirement } from './qualification';
import { OpenWorkItem, WorkPermitCover } from './work-projection';

export * from './person';
export * from './qualification';
export * from './competence-record';
export * from './work-projection';

export const entities = [Person, Qualification, QualificationRequirement, CompetenceRecord, OpenWorkItem, WorkPermitCover, KnownLocation, ...outboxEntities, ...inboxEntities];
