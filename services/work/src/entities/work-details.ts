/** The details a work type has of its own (see domain/details.ts for how they are checked and changed). */
export const ROUND_CHECK_KINDS = ['READING', 'CHECK'] as const;
export const PUNCH_CATEGORIES = ['A', 'B'] as const;
export type PunchCategory = (typeof PUNCH_CATEGORIES)[number];

export interface RoundCheck {
  label: string;
  kind: (typeof ROUND_CHECK_KINDS)[number];
  unit: string | null;
  min: number | null;
  max: number | null;
}
export interface RoundCheckpoint {
  /** 1-based position on the route. */
  checkpoint: number;
  name: string;
  assetId: string | null;
  areaId: string | null;
  checks: RoundCheck[];
}
export interface RoundReading {
  label: string;
  value: number | null;
  ok: boolean | null;
  unit: string | null;
  note: string | null;
  withinLimits: boolean;
}
export interface CheckpointRecording {
  checkpoint: number;
  recordedAt: string;
  recordedById: string;
  readings: RoundReading[];
  withinLimits: boolean;
  /** The work raised for the readings outside their limits (null when all were within). */
  followUpId: string | null;
}
/** When a round recurs: start times of day (UTC), each with its shift, and how long a round may take. */
export interface RoundSchedule {
  starts: { at: string; shift: string | null }[];
  allowedMinutes: number;
  /** The start this round is for; the next round is raised once it has come. */
  occurrence: string;
  /** The round raised for the next start (null until then): each round raises the next once. */
  nextRoundId: string | null;
}
export interface RoundDetails {
  route: RoundCheckpoint[];
  schedule?: RoundSchedule | null;
  /** Recorded checkpoints, in the order they were recorded. */
  recordings: CheckpointRecording[];
}
export interface LogisticsPlace {
  areaId: string;
  bay: string | null;
  dock: string | null;
}
export interface LogisticsDetails {
  material: string;
  quantity: number;
  unit: string;
  from: LogisticsPlace;
  to: LogisticsPlace;
  vehicle: string | null;
  slotStart: string;
  slotEnd: string;
}
export interface PunchItemDetails {
  project: string;
  system: string;
  category: PunchCategory;
  milestone: string;
}
export interface CustomerCommitment {
  customer: string;
  reference: string | null;
  dueAt: string | null;
}
export interface ProductionActionDetails {
  order: string | null;
  batch: string | null;
  product: string;
  quantity: number;
  unit: string;
  customerCommitment: CustomerCommitment | null;
}

export interface WorkDetails {
  round?: RoundDetails;
  logistics?: LogisticsDetails;
  punchItem?: PunchItemDetails;
  productionAction?: ProductionActionDetails;
}
