import { Column, Entity, PrimaryColumn, PrimaryGeneratedColumn } from 'typeorm';

export const HANDOVER_STATES = ['AWAITING_ACCEPTANCE', 'ACCEPTED', 'REFUSED'] as const;
export type HandoverState = (typeof HANDOVER_STATES)[number];

/** What a person may record as a standing condition; flagged notes and holds are standing conditions by themselves. */
export const RECORDED_CONDITION_KINDS = ['TEMPORARY_CHANGE', 'EQUIPMENT_OUT_OF_SERVICE', 'DEVIATION', 'OPEN_PERMIT', 'OTHER'] as const;
export type StandingConditionKind = (typeof RECORDED_CONDITION_KINDS)[number] | 'FLAGGED_NOTE' | 'WORK_ON_HOLD';

/**
 * A shift handover as a control point: the outgoing shift starts it, which stores the picture of the place as it
 * stood (`picture`, canonical JSON, and its sha256 `digest`); the incoming side accepts or refuses it. Only the
 * decision columns are ever written after the insert, once (a trigger refuses anything else, and deletes).
 * Its indexes and triggers are in migrations/1797000000100-Handovers.ts.
 */
@Entity('handover')
export class HandoverRecord {
  @PrimaryGeneratedColumn('uuid') id: string;
  @Column('uuid') siteId: string;
  /** Null: the whole site handed over as one. */
  @Column('uuid', { nullable: true }) areaId: string | null;
  /** The outgoing shift. */
  @Column('text') shift: string;
  @Column('text', { nullable: true }) incomingShift: string | null;
  /** The incoming responsible person named at start: they (or a supervisor) accept or refuse. */
  @Column('uuid', { nullable: true }) incomingPersonId: string | null;
  @Column('text') status: HandoverState;
  /** The window the picture covers: `windowFrom` up to `at`, the moment the picture was taken. */
  @Column('timestamptz') windowFrom: Date;
  @Column('timestamptz') at: Date;
  /** The accepted handover of the place this one follows ("what changed since" starts at its `at`). */
  @Column('uuid', { nullable: true }) followsId: string | null;
  @Column('text') startedById: string;
  @Column('text', { nullable: true }) note: string | null;
  /** The picture as canonical JSON: exactly the bytes `digest` is the sha256 of. */
  @Column('text') picture: string;
  @Column('text') digest: string;
  @Column('text', { nullable: true }) decidedById: string | null;
  @Column('timestamptz', { nullable: true }) decidedAt: Date | null;
  /** The acceptance note, or the reason for the refusal. */
  @Column('text', { nullable: true }) decisionNote: string | null;
}

/**
 * A standing condition a person recorded (a temporary change, equipment out of service, a deviation, an open
 * permit): it is in every handover of its place until someone clears it. Never updated: clearing is a
 * `ConditionClearance`. Rows built from a flagged shift note or a held item take the same shape (not stored here).
 */
@Entity('recorded_condition')
export class StandingCondition {
  @PrimaryGeneratedColumn('uuid') id: string;
  @Column('uuid') siteId: string;
  /** Null: a condition of the whole site, in every area's handover. */
  @Column('uuid', { nullable: true }) areaId: string | null;
  @Column('uuid', { nullable: true }) assetId: string | null;
  @Column('text') kind: StandingConditionKind;
  @Column('text') description: string;
  @Column('uuid', { array: true, default: () => "'{}'" }) workItemIds: string[];
  @Column('text') raisedById: string;
  @Column('timestamptz') raisedAt: Date;
  /** Filled from its clearance when read with one (not columns of this table). */
  clearedById?: string | null;
  clearedAt?: Date | null;
  clearNote?: string | null;
}

/** The clearing of a standing condition: a recorded condition or a flagged shift note (`subjectId`), once. */
@Entity('condition_clearance')
export class ConditionClearance {
  @PrimaryColumn('uuid') subjectId: string;
  @Column('text') subject: 'RECORDED' | 'FLAGGED_NOTE';
  @Column('uuid') siteId: string;
  @Column('text') clearedById: string;
  @Column('timestamptz') clearedAt: Date;
  @Column('text') note: string;
}
