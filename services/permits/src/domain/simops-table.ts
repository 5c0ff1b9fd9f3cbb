import { PERMIT_TYPES, type PermitType } from '@opsgraph/events';

/**
 * How close two permits' jobs are: the narrowest place they share. An asset is on a line, a line in an area,
 * so sharing an asset is also sharing its line and area.
 */
export const SIMOPS_PROXIMITIES = ['ASSET', 'LINE', 'AREA'] as const;
export type SimopsProximity = (typeof SIMOPS_PROXIMITIES)[number];

export interface SimopsRule {
  /** The two permit types (a pair, in either order; a type with itself is a pair too). */
  types: readonly [PermitType, PermitType];
  /**
   * The widest place at which they conflict while both are live: `AREA` = on the same asset, line or area;
   * `LINE` = on the same asset or line; `ASSET` = on the same asset only; null = never.
   */
  conflictWithin: SimopsProximity | null;
  /** Why, in one line (shown with every conflict). */
  why: string;
}

/**
 * Simultaneous operations: which permit types may not be live next to each other, written once. Issuing and
 * reinstating a permit check it against the other live permits of its site (domain/simops.ts), README.md
 * documents it and test/simops.test.ts walks every pair of PERMIT_TYPES, so a new permit type without its
 * rows fails the suite.
 */
export const SIMOPS_TABLE: readonly SimopsRule[] = [
  { types: ['HOT_WORK', 'HOT_WORK'], conflictWithin: null, why: 'Both jobs work under the same fire precautions and fire watch.' },
  { types: ['HOT_WORK', 'COLD_WORK'], conflictWithin: null, why: 'Cold work brings neither an ignition source nor a release.' },
  { types: ['HOT_WORK', 'CONFINED_SPACE'], conflictWithin: 'AREA', why: 'An ignition source near a space whose atmosphere may turn flammable; fumes and sparks can be drawn into it.' },
  { types: ['HOT_WORK', 'WORK_AT_HEIGHT'], conflictWithin: 'ASSET', why: 'Sparks and slag fall onto people, scaffold boards and harnesses working at height on the same equipment.' },
  { types: ['HOT_WORK', 'ELECTRICAL'], conflictWithin: 'ASSET', why: 'Welding return current can flow through circuits being worked on; testing may energise what is being welded.' },
  { types: ['HOT_WORK', 'EXCAVATION'], conflictWithin: 'AREA', why: 'Heavier-than-air flammable vapour collects in excavations; struck buried lines release near an ignition source.' },
  { types: ['HOT_WORK', 'LINE_BREAKING'], conflictWithin: 'AREA', why: 'Opening a line can release flammable contents near an ignition source.' },
  { types: ['COLD_WORK', 'COLD_WORK'], conflictWithin: null, why: 'Neither job brings an ignition source, a release or stored energy to the other.' },
  { types: ['COLD_WORK', 'CONFINED_SPACE'], conflictWithin: 'ASSET', why: 'Work on the vessel being entered can admit energy or substances into the space while people are inside.' },
  { types: ['COLD_WORK', 'WORK_AT_HEIGHT'], conflictWithin: 'ASSET', why: 'Dropped objects from the crew at height onto the crew below on the same equipment.' },
  { types: ['COLD_WORK', 'ELECTRICAL'], conflictWithin: 'ASSET', why: 'Electrical testing may re-energise and start equipment the mechanical crew relies on being isolated.' },
  { types: ['COLD_WORK', 'EXCAVATION'], conflictWithin: null, why: 'Neither job brings an ignition source, a release or stored energy to the other.' },
  { types: ['COLD_WORK', 'LINE_BREAKING'], conflictWithin: 'ASSET', why: 'Opening the line can release its contents onto the crew working on the same equipment.' },
  { types: ['CONFINED_SPACE', 'CONFINED_SPACE'], conflictWithin: 'ASSET', why: 'Two entries into one space need one entry supervisor, one count of entrants and one rescue plan.' },
  { types: ['CONFINED_SPACE', 'WORK_AT_HEIGHT'], conflictWithin: 'ASSET', why: 'Objects dropped from height fall through the manway onto entrants, and block their way out.' },
  { types: ['CONFINED_SPACE', 'ELECTRICAL'], conflictWithin: 'ASSET', why: 'Electrical testing may energise agitators, heaters or lighting inside the space while people are in it.' },
  { types: ['CONFINED_SPACE', 'EXCAVATION'], conflictWithin: 'AREA', why: 'Exhaust of digging plant and gases from the excavation can be drawn into the air entrants breathe.' },
  { types: ['CONFINED_SPACE', 'LINE_BREAKING'], conflictWithin: 'AREA', why: 'Opening a line can release toxic or flammable contents into the atmosphere of the space.' },
  { types: ['WORK_AT_HEIGHT', 'WORK_AT_HEIGHT'], conflictWithin: null, why: 'Crews at height share one scaffold inspection and exclusion zone below.' },
  { types: ['WORK_AT_HEIGHT', 'ELECTRICAL'], conflictWithin: 'ASSET', why: 'A shock or a machine started by testing throws someone at height off balance: a fall.' },
  { types: ['WORK_AT_HEIGHT', 'EXCAVATION'], conflictWithin: 'ASSET', why: 'Digging at the equipment can undermine the footing of its scaffold or lift.' },
  { types: ['WORK_AT_HEIGHT', 'LINE_BREAKING'], conflictWithin: 'ASSET', why: 'A release from the opened line reaches people at height, who cannot get away quickly.' },
  { types: ['ELECTRICAL', 'ELECTRICAL'], conflictWithin: 'ASSET', why: "One crew's test can energise the circuit the other crew is working on." },
  { types: ['ELECTRICAL', 'EXCAVATION'], conflictWithin: 'AREA', why: 'Cables being worked on or energised for testing may run through the excavation.' },
  { types: ['ELECTRICAL', 'LINE_BREAKING'], conflictWithin: 'ASSET', why: 'Electrical testing may start pumps or move motorised valves on the line being opened.' },
  { types: ['EXCAVATION', 'EXCAVATION'], conflictWithin: null, why: 'Excavations are laid out on one site plan with their own barriers.' },
  { types: ['EXCAVATION', 'LINE_BREAKING'], conflictWithin: 'AREA', why: 'A heavier-than-air release from the opened line collects in the excavation where people work.' },
  { types: ['LINE_BREAKING', 'LINE_BREAKING'], conflictWithin: 'LINE', why: 'Two breaks on one line share its isolation envelope: one may open what the other relies on staying closed.' },
];

const key = (a: PermitType, b: PermitType) => [a, b].sort().join('|');
const RULES = new Map(SIMOPS_TABLE.map((rule) => [key(...rule.types), rule]));

/** The table's row for two permit types (in either order). Every pair has one: test/simops.test.ts walks them. */
export function simopsRule(a: PermitType, b: PermitType): SimopsRule {
  const rule = RULES.get(key(a, b));
  if (!rule) throw new Error(`the simultaneous-operations table has no row for ${a} and ${b}`);
  return rule;
}

/** Whether two live permits of these types conflict at this proximity, by the table. */
export function conflictsAt(a: PermitType, b: PermitType, proximity: SimopsProximity): boolean {
  const within = simopsRule(a, b).conflictWithin;
  return within !== null && SIMOPS_PROXIMITIES.indexOf(proximity) <= SIMOPS_PROXIMITIES.indexOf(within);
}

export { PERMIT_TYPES };
