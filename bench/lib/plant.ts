/**
 * The benchmark plant: a deterministic (seeded) generator of every service's rows for a realistic plant —
 * sites, areas, lines, assets, people and their qualifications, work items across every state with their
 * prerequisites, history and evidence, and the supporting domains' records linked to that work (permits and
 * isolations, documents and revisions, hazards and job assessments, changes, requirements and obligations).
 *
 * Rows use the databases' snake_case column names. Large derived tables are generators, so the full scale
 * (200,000 work items) does not hold every row of every table in memory at once.
 *
 * The data is consistent the way the services keep it: a work item is READY exactly when no prerequisite is
 * open, `open_prerequisites` counts the open ones, blockers name the record that raised them (permit, control,
 * `<person>:<qualification>`, `<revision>:<person>`, change, requirement), and time-driven rules (permit and
 * qualification expiry, periodic reviews, due obligations, temporary changes) find nothing to do for at least
 * two weeks after the anchor date, so background work does not disturb a benchmark.
 */
import { Random } from './prng';

export type Row = Record<string, unknown>;
export type Table = Row[] | (() => Iterable<Row>);

export interface ScaleSpec {
  sites: number;
  areasPerSite: number;
  linesPerArea: number;
  assets: number;
  workItems: number;
  peoplePerSite: number;
}

export const SCALES: Record<string, ScaleSpec> = {
  tiny: { sites: 1, areasPerSite: 3, linesPerArea: 2, assets: 60, workItems: 2_000, peoplePerSite: 25 },
  small: { sites: 2, areasPerSite: 4, linesPerArea: 2, assets: 200, workItems: 10_000, peoplePerSite: 40 },
  full: { sites: 20, areasPerSite: 5, linesPerArea: 3, assets: 2_000, workItems: 200_000, peoplePerSite: 60 },
};

/** Bump when the generated data changes shape: an existing seed of another version is not reused. */
export const PLANT_VERSION = 3;

export const DAY = 86_400_000;

export interface Caller {
  id: string;
  name: string;
  roles: string[];
  sites: string[];
  company?: string;
}

export interface Manifest {
  version: number;
  scale: string;
  seed: number;
  anchor: string;
  spec: ScaleSpec;
  counts: Record<string, Record<string, number>>;
  board: { siteId: string; siteCode: string; areaId: string; areaCode: string; openItems: number; items: number };
  callers: { supervisor: Caller; technician: Caller; verifier: Caller };
  /** Open items of the board's area richest in cross-domain links: the work item page rotates over them. */
  pageItems: string[];
}

export interface Plant {
  manifest: Manifest;
  databases: Record<string, Record<string, Table>>;
}

// ---------------------------------------------------------------------------------------------- vocabulary

const SITE_CODES = ['GRN', 'BRK', 'DLT', 'ESK', 'FAL', 'HAV', 'IVY', 'JUN', 'KES', 'LOM', 'MAR', 'NOR', 'OAK', 'PIN', 'QRY', 'RIV', 'STN', 'TYN', 'UPL', 'VAL', 'WRN', 'YOR'];
const SITE_NAMES = ['Greenfield', 'Brookside', 'Delta', 'Eskdale', 'Falmouth', 'Havenport', 'Ivybridge', 'Junction', 'Kestrel', 'Lomond', 'Marsh', 'Northgate', 'Oakridge', 'Pinewood', 'Quarry', 'Riverside', 'Stonebridge', 'Tynemouth', 'Upland', 'Valley', 'Warren', 'York Road'];
const AREA_NAMES = ['Packaging', 'Process', 'Utilities', 'Tank farm', 'Boiler house', 'Warehouse', 'Loading bay', 'Water treatment'];
const ASSET_CLASSES = ['PUMP', 'PRESSURE_VESSEL', 'CONVEYOR', 'MOTOR', 'VALVE', 'HEAT_EXCHANGER', 'TANK', 'COMPRESSOR', 'CRANE', 'BOILER'] as const;
const CLASS_PREFIX: Record<string, string> = { PUMP: 'P', PRESSURE_VESSEL: 'PV', CONVEYOR: 'CV', MOTOR: 'M', VALVE: 'XV', HEAT_EXCHANGER: 'HX', TANK: 'TK', COMPRESSOR: 'K', CRANE: 'CR', BOILER: 'B' };
const CLASS_NAME: Record<string, string> = { PUMP: 'Centrifugal pump', PRESSURE_VESSEL: 'Pressure vessel', CONVEYOR: 'Belt conveyor', MOTOR: 'Drive motor', VALVE: 'Control valve', HEAT_EXCHANGER: 'Plate heat exchanger', TANK: 'Storage tank', COMPRESSOR: 'Air compressor', CRANE: 'Overhead crane', BOILER: 'Steam boiler' };
const FIRST = ['Alex', 'Sam', 'Jo', 'Chris', 'Pat', 'Robin', 'Kim', 'Lee', 'Morgan', 'Taylor', 'Jamie', 'Casey', 'Dana', 'Eli', 'Noor', 'Ravi', 'Mia', 'Luca', 'Ines', 'Tomas', 'Ana', 'Omar', 'Yara', 'Ken'];
const LAST = ['Smith', 'Jones', 'Patel', 'Nowak', 'Garcia', 'Muller', 'Rossi', 'Dubois', 'Silva', 'Khan', 'Olsen', 'Berg', 'Costa', 'Novak', 'Kowalski', 'Murphy', 'Walsh', 'Evans', 'Clarke', 'Hughes'];
const COMPANIES = ['Acme Mechanical', 'Voltline Electrical', 'Scaffold & Co'];
const TEAMS = ['Mechanical', 'Electrical', 'Operations', 'Instrumentation', 'Facilities'];

const WORK_TYPE_WEIGHTS = {
  MAINTENANCE: 26, INSPECTION: 12, ROUND: 9, CLEANING: 7, PRODUCTION_ACTION: 10, LOGISTICS: 5, PUNCH_ITEM: 5,
  CONTRACTOR_JOB: 8, CORRECTIVE_ACTION: 7, PRE_STARTUP_CHECK: 2, DOCUMENT_REVIEW: 1.5, OTHER: 4,
};
const STATUS_WEIGHTS = { DONE: 50, CANCELLED: 5, OPEN: 14, READY: 12, IN_PROGRESS: 10, AWAITING_VERIFICATION: 5, ON_HOLD: 4 };
const PRIORITY_WEIGHTS = { LOW: 20, MEDIUM: 50, HIGH: 22, CRITICAL: 8 };
const FINAL = new Set(['DONE', 'CANCELLED']);
const isOpen = (status: string) => !FINAL.has(status);

const TITLES: Record<string, string[]> = {
  MAINTENANCE: ['Replace mechanical seal on', 'Realign coupling of', 'Change bearings on', 'Repack gland of', 'Replace gasket on', 'Overhaul', 'Tighten flange bolts on', 'Replace drive belt of'],
  INSPECTION: ['Statutory inspection of', 'Thickness survey of', 'Thermographic survey of', 'Vibration check of', 'Visual inspection of'],
  ROUND: ['Operator round:', 'Shift round:', 'Leak check round:'],
  CLEANING: ['Clean and sanitise', 'Degrease', 'Clear spillage around', 'Clean strainer of'],
  PRODUCTION_ACTION: ['Adjust set points on', 'Changeover of', 'Reduce throughput on', 'Sample product at'],
  LOGISTICS: ['Move spare parts to', 'Deliver consumables to', 'Remove waste skip near'],
  PUNCH_ITEM: ['Fix missing label on', 'Complete insulation on', 'Fit guard on', 'Repaint handrail near'],
  CONTRACTOR_JOB: ['Scaffold access to', 'Insulation works on', 'Electrical testing of', 'NDT of welds on'],
  CORRECTIVE_ACTION: ['Install barrier at', 'Fit drip tray under', 'Improve lighting near', 'Replace worn hose on'],
  PRE_STARTUP_CHECK: ['Pre-startup check of', 'PSSR walkdown of'],
  DOCUMENT_REVIEW: ['Review'],
  OTHER: ['Investigate noise from', 'Check alarm on', 'Tidy area around'],
};

const QUALIFICATIONS: [string, string, number | null][] = [
  ['LOTO', 'Lock-out tag-out', 36], ['HOT-WORK', 'Hot work', 24], ['CONFINED-SPACE', 'Confined space entry', 24], ['GAS-TEST', 'Gas testing', 12],
  ['WORK-AT-HEIGHT', 'Work at height', 36], ['ELEC-HV', 'High-voltage switching', 36], ['ELEC-LV', 'Low-voltage electrical', 60], ['PRESSURE-SYS', 'Pressure systems', 60],
  ['RIGGING', 'Rigging and slinging', 36], ['FORKLIFT', 'Forklift operation', 36], ['COSHH', 'Hazardous substances', 36], ['FIRST-AID', 'First aid', 36],
  ['SITE-INDUCTION', 'Contractor site induction', 12], ['GROUND-DISTURBANCE', 'Ground disturbance', 60],
];
const QUAL_REQUIREMENTS: [string, string, string][] = [
  ['LOTO', 'WORK_TYPE', 'MAINTENANCE'], ['SITE-INDUCTION', 'WORK_TYPE', 'CONTRACTOR_JOB'], ['COSHH', 'WORK_TYPE', 'CLEANING'], ['FORKLIFT', 'WORK_TYPE', 'LOGISTICS'],
  ['PRESSURE-SYS', 'ASSET_CLASS', 'PRESSURE_VESSEL'], ['PRESSURE-SYS', 'ASSET_CLASS', 'BOILER'], ['PRESSURE-SYS', 'ASSET_CLASS', 'COMPRESSOR'], ['ELEC-LV', 'ASSET_CLASS', 'MOTOR'], ['RIGGING', 'ASSET_CLASS', 'CRANE'],
  ['HOT-WORK', 'PERMIT_TYPE', 'HOT_WORK'], ['CONFINED-SPACE', 'PERMIT_TYPE', 'CONFINED_SPACE'], ['GAS-TEST', 'PERMIT_TYPE', 'CONFINED_SPACE'], ['WORK-AT-HEIGHT', 'PERMIT_TYPE', 'WORK_AT_HEIGHT'],
  ['ELEC-HV', 'PERMIT_TYPE', 'ELECTRICAL'], ['LOTO', 'PERMIT_TYPE', 'LINE_BREAKING'], ['GROUND-DISTURBANCE', 'PERMIT_TYPE', 'EXCAVATION'],
];
const PERMIT_BY_CLASS: Record<string, string[]> = {
  PUMP: ['LINE_BREAKING', 'HOT_WORK', 'COLD_WORK'], PRESSURE_VESSEL: ['CONFINED_SPACE', 'LINE_BREAKING', 'HOT_WORK'], CONVEYOR: ['COLD_WORK', 'ELECTRICAL'],
  MOTOR: ['ELECTRICAL'], VALVE: ['LINE_BREAKING', 'COLD_WORK'], HEAT_EXCHANGER: ['LINE_BREAKING', 'HOT_WORK'], TANK: ['CONFINED_SPACE', 'HOT_WORK', 'WORK_AT_HEIGHT'],
  COMPRESSOR: ['LINE_BREAKING', 'ELECTRICAL'], CRANE: ['WORK_AT_HEIGHT', 'ELECTRICAL'], BOILER: ['CONFINED_SPACE', 'HOT_WORK', 'LINE_BREAKING'],
};
const PERMIT_WORDS: Record<string, string> = { HOT_WORK: 'hot work', COLD_WORK: 'cold work', CONFINED_SPACE: 'confined space', WORK_AT_HEIGHT: 'work at height', ELECTRICAL: 'electrical', EXCAVATION: 'excavation', LINE_BREAKING: 'line breaking' };
const HAZARDS: [string, string[][]][] = [
  ['Rotating equipment', [['BARRIER', 'Guards in place'], ['ISOLATION', 'Drive isolated and locked']]],
  ['Hot surfaces', [['PPE', 'Heat-resistant gloves'], ['BARRIER', 'Hot surface barrier tape']]],
  ['Stored pressure', [['ISOLATION', 'Depressurised and vented'], ['SUPERVISION', 'Second person checks zero pressure']]],
  ['Flammable atmosphere', [['GAS_MONITORING', 'Continuous LEL monitor'], ['OTHER', 'Fire extinguisher at the job']]],
  ['Working at height', [['PPE', 'Harness and lanyard'], ['BARRIER', 'Exclusion zone below']]],
  ['Electrical shock', [['ISOLATION', 'Proven dead at the point of work'], ['PPE', 'Arc-rated face shield']]],
  ['Chemical exposure', [['PPE', 'Chemical goggles and gloves'], ['OTHER', 'Eyewash station checked']]],
  ['Manual handling', [['SUPERVISION', 'Team lift for loads over 25 kg']]],
  ['Slips and trips', [['BARRIER', 'Walkway cleared and marked']]],
  ['Noise', [['PPE', 'Ear defenders']]],
  ['Oxygen depletion', [['GAS_MONITORING', 'Four-gas monitor worn'], ['SUPERVISION', 'Standby person at the entry']]],
  ['Moving vehicles', [['BARRIER', 'Traffic cones and banksman']]],
];
const PRECAUTIONS = ['Barriers around the work area', 'Fire watch for 60 minutes after', 'Drain and flush before opening', 'Standby person at the entry', 'Continuous gas monitoring', 'Isolation certificate displayed'];
const PARTS = ['mechanical seal kit', 'bearing set', 'gasket kit', 'drive belt', 'scaffold tag', 'spare motor', 'valve actuator', 'pressure gauge'];

interface Site { id: string; code: string; name: string; areas: Area[]; people: Person[]; byRole: Record<string, Person[]>; items: number }
interface Area { id: string; siteId: string; code: string; name: string; lines: { id: string; code: string; name: string }[]; assets: Asset[] }
interface Asset { id: string; siteId: string; areaId: string; lineId: string | null; parentId: string | null; code: string; name: string; assetClass: string }
interface Person { id: string; name: string; roles: string[]; siteIds: string[]; company: string | null; holds: Map<string, boolean> }
interface Prereq { id: string; kind: string; state: string; description: string; sourceDomain: string; sourceRecordId: string; reason: string | null; waivedReason: string | null; waivedById: string | null; resolvedAt: Date | null; createdAt: Date }
interface Item {
  id: string; number: string; type: string; title: string; description: string | null; status: string; heldFrom: string | null; holdReason: string | null;
  priority: string; site: Site; area: Area; lineId: string | null; asset: Asset | null; shift: string | null; contractorCompany: string | null;
  dueAt: Date | null; ownerId: string | null; team: string | null; performerId: string | null; verifiedById: string | null; verifiedAt: Date | null;
  completedAt: Date | null; sourceDomain: string; sourceRecordId: string | null; sourceReason: string | null; requiredOutcome: { acceptanceCriteria: string; evidence: Row[] };
  links: Row[]; createdAt: Date; updatedAt: Date; prereqs: Prereq[]; permitTypes: string[]; request: { domain: string; requestId: string } | null; domains: Set<string>;
}

// ------------------------------------------------------------------------------------------------ generator

export function generatePlant(options: { scale: string; seed: number; anchor: Date }): Plant {
  const spec = SCALES[options.scale];
  if (!spec) throw new Error(`unknown scale ${options.scale} (${Object.keys(SCALES).join(', ')})`);
  const rnd = new Random(`opsgraph-bench:${options.seed}:${options.scale}`);
  const now = options.anchor.getTime();
  const at = (ms: number) => new Date(Math.round(ms / 1000) * 1000);
  const daysAgo = (min: number, max: number) => at(now - (min + rnd.next() * (max - min)) * DAY);
  const iso = (d: Date | null | undefined) => (d ? d.toISOString() : null);
  const personName = () => `${rnd.pick(FIRST)} ${rnd.pick(LAST)}`;

  // ---------------------------------------------------------------- locations and people
  const sites: Site[] = [];
  const assetsAll: Asset[] = [];
  const people: Person[] = [];
  const assetsPerArea = Math.max(1, Math.floor(spec.assets / (spec.sites * spec.areasPerSite)));
  for (let s = 0; s < spec.sites; s++) {
    const site: Site = { id: rnd.uuid(), code: SITE_CODES[s % SITE_CODES.length] + (s >= SITE_CODES.length ? String(Math.floor(s / SITE_CODES.length)) : ''), name: `${SITE_NAMES[s % SITE_NAMES.length]} plant`, areas: [], people: [], byRole: {}, items: 0 };
    const classCounter = new Map<string, number>();
    for (let a = 0; a < spec.areasPerSite; a++) {
      const area: Area = { id: rnd.uuid(), siteId: site.id, code: `A${a + 1}`, name: AREA_NAMES[a % AREA_NAMES.length], lines: [], assets: [] };
      for (let l = 0; l < spec.linesPerArea; l++) area.lines.push({ id: rnd.uuid(), code: `L${a + 1}${l + 1}`, name: `${area.name} line ${l + 1}` });
      for (let k = 0; k < assetsPerArea; k++) {
        const assetClass = rnd.pick(ASSET_CLASSES);
        const n = (classCounter.get(assetClass) ?? 100) + 1;
        classCounter.set(assetClass, n);
        const previous = area.assets[area.assets.length - 1];
        const asset: Asset = {
          id: rnd.uuid(), siteId: site.id, areaId: area.id, lineId: rnd.chance(0.7) ? rnd.pick(area.lines).id : null,
          parentId: previous && rnd.chance(0.1) ? previous.id : null, code: `${CLASS_PREFIX[assetClass]}-${n}`, name: `${CLASS_NAME[assetClass]} ${n}`, assetClass,
        };
        area.assets.push(asset);
        assetsAll.push(asset);
      }
      site.areas.push(area);
    }
    const roleOf = (i: number) => (['supervisor', 'supervisor', 'verifier', 'verifier', 'hse', 'permit_issuer'][i] ?? rnd.weighted({ technician: 60, operator: 30, contractor: 10 }));
    for (let p = 0; p < spec.peoplePerSite; p++) {
      const role = roleOf(p);
      const person: Person = { id: rnd.uuid(), name: personName(), roles: [role], siteIds: [site.id], company: role === 'contractor' ? rnd.pick(COMPANIES) : 'Opsgraph Manufacturing', holds: new Map() };
      site.people.push(person);
      (site.byRole[role] ??= []).push(person);
      people.push(person);
    }
    // Every site has at least one technician, operator and contractor, whatever the draw.
    for (const role of ['technician', 'operator', 'contractor']) {
      if (!site.byRole[role]?.length) {
        const person: Person = { id: rnd.uuid(), name: personName(), roles: [role], siteIds: [site.id], company: role === 'contractor' ? COMPANIES[0] : 'Opsgraph Manufacturing', holds: new Map() };
        site.people.push(person);
        (site.byRole[role] = [person]);
        people.push(person);
      }
    }
    sites.push(site);
  }
  const admin: Person = { id: rnd.uuid(), name: 'Bench Administrator', roles: ['administrator'], siteIds: ['*'], company: 'Opsgraph Manufacturing', holds: new Map() };
  const auditor: Person = { id: rnd.uuid(), name: 'Bench Auditor', roles: ['auditor'], siteIds: ['*'], company: 'Opsgraph Manufacturing', holds: new Map() };
  people.push(admin, auditor);

  // ---------------------------------------------------------------- competence: qualifications and records
  const quals = QUALIFICATIONS.map(([code, name, months]) => ({ id: rnd.uuid(), code, name, months, createdAt: daysAgo(900, 1000) }));
  const qualByCode = new Map(quals.map((q) => [q.code, q]));
  const qualRequirements = QUAL_REQUIREMENTS.map(([code, scope, value]) => ({ id: rnd.uuid(), qualification_id: qualByCode.get(code)!.id, scope, value, created_at: iso(daysAgo(800, 900)) }));
  const competenceRecords: Row[] = [];
  const ROLE_QUALS: Record<string, [string[], number]> = {
    technician: [['LOTO', 'HOT-WORK', 'CONFINED-SPACE', 'GAS-TEST', 'WORK-AT-HEIGHT', 'ELEC-LV', 'PRESSURE-SYS', 'RIGGING', 'COSHH', 'FIRST-AID', 'FORKLIFT', 'ELEC-HV'], 0.94],
    contractor: [['SITE-INDUCTION', 'LOTO', 'HOT-WORK', 'WORK-AT-HEIGHT', 'CONFINED-SPACE', 'GAS-TEST', 'ELEC-LV', 'ELEC-HV', 'RIGGING', 'GROUND-DISTURBANCE', 'PRESSURE-SYS', 'COSHH'], 0.9],
    operator: [['LOTO', 'COSHH', 'FORKLIFT', 'FIRST-AID', 'GAS-TEST', 'PRESSURE-SYS'], 0.9],
    supervisor: [['LOTO', 'HOT-WORK', 'CONFINED-SPACE', 'GAS-TEST', 'WORK-AT-HEIGHT', 'PRESSURE-SYS', 'FIRST-AID', 'COSHH'], 0.95],
    verifier: [['LOTO', 'PRESSURE-SYS', 'ELEC-LV', 'COSHH'], 0.95],
    hse: [['GAS-TEST', 'CONFINED-SPACE', 'FIRST-AID', 'COSHH'], 0.95],
    permit_issuer: [['LOTO', 'HOT-WORK', 'CONFINED-SPACE', 'GAS-TEST', 'ELEC-HV'], 0.95],
  };
  for (const site of sites) {
    const granter = site.byRole.supervisor[0];
    for (const person of site.people) {
      const [codes, p] = ROLE_QUALS[person.roles[0]] ?? [[], 0];
      for (const code of codes) {
        if (!rnd.chance(p)) continue;
        const q = qualByCode.get(code)!;
        const achievedAt = daysAgo(20, 1400);
        let expiresAt = q.months ? new Date(achievedAt.getTime() + q.months * 30.4 * DAY) : null;
        let lapsedAt: Date | null = null;
        const revoked = rnd.chance(0.01);
        if (expiresAt && expiresAt.getTime() <= now) lapsedAt = at(Math.min(now - DAY, expiresAt.getTime() + DAY));
        else if (expiresAt && expiresAt.getTime() < now + 16 * DAY) expiresAt = at(now + (16 + rnd.next() * 20) * DAY); // nothing lapses within two weeks of the anchor
        const holds = !revoked && !lapsedAt;
        person.holds.set(code, holds);
        competenceRecords.push({
          id: rnd.uuid(), person_id: person.id, qualification_id: q.id, achieved_at: iso(achievedAt), expires_at: iso(expiresAt), evidence: `CERT-${rnd.hex(8).toUpperCase()}`,
          granted_by_id: person.id === granter.id ? site.byRole.supervisor[1].id : granter.id, revoked_at: revoked ? iso(daysAgo(1, 15)) : null, revoked_by_id: revoked ? granter.id : null,
          revoked_reason: revoked ? 'Certificate found to be invalid' : null, lapsed_at: iso(lapsedAt), created_at: iso(achievedAt), updated_at: iso(lapsedAt ?? achievedAt), version: lapsedAt || revoked ? 2 : 1,
        });
      }
    }
  }
  const holdsNow = (personId: string | null, code: string) => !!personId && !!personById(personId)?.holds.get(code);
  const personIndex = new Map(people.map((p) => [p.id, p]));
  function personById(id: string) {
    return personIndex.get(id);
  }

  // ---------------------------------------------------------------- change requests (per area)
  const CHANGE_STATUS_WEIGHTS = { DRAFT: 8, SUBMITTED: 10, IN_REVIEW: 10, APPROVED: 8, IMPLEMENTING: 16, PRE_STARTUP_REVIEW: 12, CLOSED: 30, REJECTED: 3, CANCELLED: 3 };
  interface Change { id: string; area: Area; site: Site; status: string; assets: Asset[]; row: Row; tasks: number; checks: number; gates: string[] }
  const changes: Change[] = [];
  const changesByArea = new Map<string, Change[]>();
  const changeRows: Row[] = [];
  const changeApprovals: Row[] = [];
  const changeTransitions: Row[] = [];
  const changesPerArea = Math.max(3, Math.round(spec.workItems / 400 / (spec.sites * spec.areasPerSite)));
  for (const site of sites) {
    for (const area of site.areas) {
      for (let c = 0; c < changesPerArea; c++) {
        const status = rnd.weighted(CHANGE_STATUS_WEIGHTS);
        const type = rnd.weighted({ PERMANENT: 70, TEMPORARY: 20, EMERGENCY: 10 });
        const risk = rnd.weighted({ LOW: 30, MEDIUM: 40, HIGH: 25, CRITICAL: 5 });
        const scope = rnd.sample(area.assets, rnd.int(1, 3));
        const requester = rnd.pick(site.byRole.technician ?? site.people);
        const owner = site.byRole.supervisor[c % 2];
        const roles = risk === 'HIGH' || risk === 'CRITICAL' ? ['OPERATIONS', 'ENGINEERING', 'SAFETY'] : ['OPERATIONS', 'ENGINEERING'];
        const createdAt = status === 'CLOSED' || status === 'REJECTED' || status === 'CANCELLED' ? daysAgo(60, 400) : daysAgo(5, 90);
        const order = ['DRAFT', 'SUBMITTED', 'IN_REVIEW', 'APPROVED', 'IMPLEMENTING', 'PRE_STARTUP_REVIEW', 'CLOSED'];
        const reached = status === 'REJECTED' ? ['DRAFT', 'SUBMITTED', 'IN_REVIEW', 'REJECTED'] : status === 'CANCELLED' ? ['DRAFT', 'CANCELLED'] : order.slice(0, order.indexOf(status) + 1);
        const id = rnd.uuid();
        let t = createdAt.getTime();
        let submittedAt: Date | null = null;
        let approvedAt: Date | null = null;
        let closedAt: Date | null = null;
        reached.forEach((to, i) => {
          if (i > 0) t += rnd.next() * 3 * DAY;
          const stamp = at(Math.min(t, now - 3600_000));
          if (to === 'SUBMITTED') submittedAt = stamp;
          if (to === 'APPROVED') approvedAt = stamp;
          if (to === 'CLOSED' || to === 'REJECTED' || to === 'CANCELLED') closedAt = stamp;
          changeTransitions.push({ change_id: id, from_status: i ? reached[i - 1] : null, to_status: to, actor_id: i === 0 ? requester.id : owner.id, at: iso(stamp), note: null });
        });
        if (['APPROVED', 'IMPLEMENTING', 'PRE_STARTUP_REVIEW', 'CLOSED', 'IN_REVIEW', 'REJECTED'].includes(status)) {
          const approvers: Record<string, Person> = { OPERATIONS: site.byRole.supervisor[0], ENGINEERING: site.byRole.verifier[0], SAFETY: site.byRole.hse[0] };
          const decided = status === 'IN_REVIEW' ? roles.slice(0, 1) : roles;
          decided.forEach((role, i) => {
            const rejected = status === 'REJECTED' && i === decided.length - 1;
            changeApprovals.push({ id: rnd.uuid(), change_id: id, role, approver_id: approvers[role].id, decision: rejected ? 'REJECTED' : 'APPROVED', comment: rejected ? 'Risk assessment incomplete' : null, at: iso(approvedAt ?? submittedAt ?? createdAt) });
          });
        }
        const row: Row = {
          id, title: `${rnd.pick(['Replace', 'Bypass', 'Upgrade', 'Re-route', 'Modify'])} ${scope[0]?.name ?? area.name} ${rnd.pick(['controls', 'piping', 'guarding', 'drive', 'interlock'])}`,
          description: 'Change to plant, process or procedure under management of change.', type, status,
          reason: rnd.pick(['Reliability: repeated failures', 'Safety improvement after near miss', 'Capacity increase', 'Obsolete equipment']),
          site_ids: [site.id], area_ids: [area.id], line_ids: scope.filter((a) => a.lineId).slice(0, 1).map((a) => a.lineId), asset_ids: scope.map((a) => a.id), document_ids: [],
          risk_assessment: 'HAZOP-lite reviewed by engineering and operations', risk_rating: risk, end_date: type === 'TEMPORARY' ? iso(at(now + (60 + rnd.next() * 120) * DAY)) : null,
          requester_id: requester.id, owner_id: owner.id, required_approver_roles: roles, submitted_at: iso(submittedAt), approved_at: iso(approvedAt), closed_at: iso(closedAt),
          end_reason: status === 'REJECTED' ? 'Risk assessment incomplete' : status === 'CANCELLED' ? 'No longer needed' : null, restore_request_id: null,
          created_at: iso(createdAt), updated_at: iso(closedAt ?? approvedAt ?? submittedAt ?? createdAt), version: reached.length,
        };
        const change: Change = { id, area, site, status, assets: scope, row, tasks: 0, checks: 0, gates: [] };
        changes.push(change);
        changeRows.push(row);
        (changesByArea.get(area.id) ?? changesByArea.set(area.id, []).get(area.id)!).push(change);
      }
    }
  }

  // ---------------------------------------------------------------- documents (per site, area and asset)
  interface Doc { id: string; number: string; title: string; site: Site; siteIds: string[]; areaIds: string[]; assetIds: string[]; workTypes: string[]; current: Row; row: Row; reviewOpen: boolean }
  const docs: Doc[] = [];
  const docRows: Row[] = [];
  const revisionRows: Row[] = [];
  const docsByArea = new Map<string, Doc[]>();
  const docsBySite = new Map<string, Doc[]>();
  let docSeq = 0;
  const addDoc = (site: Site, type: string, title: string, place: { siteIds?: string[]; areaIds?: string[]; assetIds?: string[] }, workTypes: string[]) => {
    const id = rnd.uuid();
    const number = `${type === 'PROCEDURE' ? 'SOP' : type === 'WORK_INSTRUCTION' ? 'WI' : type === 'DRAWING' ? 'DWG' : type === 'DATA_SHEET' ? 'DS' : 'DOC'}-${site.code}-${String(++docSeq).padStart(4, '0')}`;
    const owner = rnd.chance(0.5) ? site.byRole.supervisor[docSeq % 2] : site.byRole.hse[0];
    const createdAt = daysAgo(200, 1500);
    const revisions = rnd.int(1, 3);
    let current: Row | null = null;
    let t = createdAt.getTime();
    for (let r = 0; r < revisions; r++) {
      const last = r === revisions - 1;
      const created = at(t);
      const approvedAt = at(Math.min(now - DAY, t + rnd.next() * 20 * DAY));
      t = last ? t : approvedAt.getTime() + (30 + rnd.next() * 300) * DAY;
      const author = rnd.pick(site.byRole.technician ?? site.people);
      const approver = owner;
      const rev: Row = {
        id: rnd.uuid(), document_id: id, label: String.fromCharCode(65 + r), status: last ? 'APPROVED' : 'SUPERSEDED', effective_date: iso(approvedAt), content_ref: `docstore://${number}/${String.fromCharCode(65 + r)}`,
        checksum: `sha256:${rnd.hex(64)}`, change_summary: r ? 'Updated after periodic review' : 'First issue', author_id: author.id, submitted_at: iso(created), returned_reason: null,
        approved_by_id: approver.id, approved_at: iso(approvedAt), superseded_at: last ? null : iso(at(Math.min(now - DAY, t))), created_at: iso(created), version: last ? 3 : 4,
      };
      revisionRows.push(rev);
      if (last) current = rev;
    }
    if (rnd.chance(0.12)) {
      const author = rnd.pick(site.byRole.technician ?? site.people);
      revisionRows.push({
        id: rnd.uuid(), document_id: id, label: String.fromCharCode(65 + revisions), status: rnd.chance(0.5) ? 'DRAFT' : 'IN_REVIEW', effective_date: null, content_ref: `docstore://${number}/${String.fromCharCode(65 + revisions)}`,
        checksum: `sha256:${rnd.hex(64)}`, change_summary: 'Proposed update', author_id: author.id, submitted_at: null, returned_reason: null, approved_by_id: null, approved_at: null, superseded_at: null,
        created_at: iso(daysAgo(1, 20)), version: 1,
      });
    }
    const interval = rnd.chance(0.7) ? rnd.pick([365, 730, 1095]) : null;
    const row: Row = {
      id, number, title, type, owner_id: owner.id, site_id: site.id, site_ids: place.siteIds ?? [], area_ids: place.areaIds ?? [], asset_ids: place.assetIds ?? [], work_types: workTypes,
      review_interval_days: interval, last_reviewed_at: interval ? iso(daysAgo(1, Math.max(2, interval - 30 - 60))) : null, created_at: iso(createdAt), updated_at: iso(current!.approved_at ? new Date(current!.approved_at as string) : createdAt), version: revisions + 1,
    };
    const doc: Doc = { id, number, title, site, siteIds: place.siteIds ?? [], areaIds: place.areaIds ?? [], assetIds: place.assetIds ?? [], workTypes, current: current!, row, reviewOpen: false };
    docs.push(doc);
    docRows.push(row);
    for (const areaId of doc.areaIds) (docsByArea.get(areaId) ?? docsByArea.set(areaId, []).get(areaId)!).push(doc);
    (docsBySite.get(site.id) ?? docsBySite.set(site.id, []).get(site.id)!).push(doc);
    return doc;
  };
  for (const site of sites) {
    addDoc(site, 'PROCEDURE', `${site.name} site safety rules`, { siteIds: [site.id] }, []);
    addDoc(site, 'PROCEDURE', 'Permit to work procedure', { siteIds: [site.id] }, ['MAINTENANCE', 'CONTRACTOR_JOB']);
    addDoc(site, 'PROCEDURE', 'Contractor management', { siteIds: [site.id] }, ['CONTRACTOR_JOB']);
    addDoc(site, 'WORK_INSTRUCTION', 'Housekeeping standard', { siteIds: [site.id] }, ['CLEANING']);
    for (const area of site.areas) {
      for (let d = 0; d < 8; d++) {
        const type = d < 4 ? 'PROCEDURE' : 'WORK_INSTRUCTION';
        const workTypes = d % 3 === 0 ? [] : rnd.sample(Object.keys(WORK_TYPE_WEIGHTS), rnd.int(1, 3));
        addDoc(site, type, `${area.name}: ${rnd.pick(['start-up', 'shutdown', 'isolation', 'cleaning', 'sampling', 'changeover', 'emergency', 'inspection'])} ${type === 'PROCEDURE' ? 'procedure' : 'instruction'} ${d + 1}`, { areaIds: [area.id] }, workTypes);
      }
      for (const asset of area.assets) {
        if (rnd.chance(0.25)) addDoc(site, rnd.pick(['DRAWING', 'DATA_SHEET']), `${asset.code} ${asset.name} ${rnd.pick(['P&ID', 'data sheet', 'GA drawing'])}`, { assetIds: [asset.id] }, []);
      }
    }
  }
  const docsForPlace = (item: { site: Site; area: Area; asset: Asset | null; type: string }) =>
    (docsBySite.get(item.site.id) ?? []).filter(
      (d) => (d.siteIds.includes(item.site.id) || d.areaIds.includes(item.area.id) || (!!item.asset && d.assetIds.includes(item.asset.id))) && (!d.workTypes.length || d.workTypes.includes(item.type)),
    );

  // ---------------------------------------------------------------- hazard register
  interface HazardRec { id: string; title: string; siteId: string; areaId: string | null; assetId: string | null; controls: { id: string; kind: string; description: string; position: number }[]; residual: number }
  const hazardRows: Row[] = [];
  const hazardControlRows: Row[] = [];
  const hazardsByArea = new Map<string, HazardRec[]>();
  const hazardsBySite = new Map<string, HazardRec[]>();
  const hazardsByAsset = new Map<string, HazardRec[]>();
  const addHazard = (site: Site, areaId: string | null, assetId: string | null, template: [string, string[][]]) => {
    const likelihood = rnd.int(2, 5);
    const severity = rnd.int(2, 5);
    const rl = Math.max(1, likelihood - rnd.int(1, 2));
    const rs = Math.max(1, severity - rnd.int(0, 1));
    const h: HazardRec = { id: rnd.uuid(), title: template[0], siteId: site.id, areaId, assetId, controls: [], residual: rl * rs };
    const createdAt = daysAgo(300, 1200);
    hazardRows.push({
      id: h.id, site_id: site.id, area_id: areaId, asset_id: assetId, work_types: [], title: template[0], description: `${template[0]} in ${areaId ? 'the area' : 'the site'}`,
      likelihood, severity, risk_rating: likelihood * severity, residual_likelihood: rl, residual_severity: rs, residual_rating: rl * rs, active: true, retired_reason: null,
      created_by_id: site.byRole.hse[0].id, created_at: iso(createdAt), updated_at: iso(createdAt), version: 1,
    });
    template[1].forEach(([kind, description], i) => {
      const control = { id: rnd.uuid(), kind, description, position: i + 1 };
      h.controls.push(control);
      hazardControlRows.push({ id: control.id, hazard_id: h.id, kind, description, position: i + 1 });
    });
    if (assetId) (hazardsByAsset.get(assetId) ?? hazardsByAsset.set(assetId, []).get(assetId)!).push(h);
    else if (areaId) (hazardsByArea.get(areaId) ?? hazardsByArea.set(areaId, []).get(areaId)!).push(h);
    else (hazardsBySite.get(site.id) ?? hazardsBySite.set(site.id, []).get(site.id)!).push(h);
  };
  for (const site of sites) {
    for (const t of rnd.sample(HAZARDS, 3)) addHazard(site, null, null, t);
    for (const area of site.areas) {
      for (const t of rnd.sample(HAZARDS, 6)) addHazard(site, area.id, null, t);
      for (const asset of area.assets) if (rnd.chance(0.1)) addHazard(site, area.id, asset.id, rnd.pick(HAZARDS));
    }
  }

  // ---------------------------------------------------------------- compliance requirements
  interface Req { id: string; row: Row; siteIds: string[]; areaIds: string[]; assetIds: string[]; assetClasses: string[]; workTypes: string[]; workCheck: string | null; recurrence: number | null; lead: number; reference: string; title: string }
  const reqs: Req[] = [];
  const reqsBySite = new Map<string, Req[]>();
  const addReq = (site: Site, r: Partial<Req> & { reference: string; title: string; source: string }) => {
    const req: Req = {
      id: rnd.uuid(), siteIds: [site.id], areaIds: r.areaIds ?? [], assetIds: r.assetIds ?? [], assetClasses: r.assetClasses ?? [], workTypes: r.workTypes ?? [], workCheck: r.workCheck ?? null,
      recurrence: r.recurrence ?? null, lead: 30, reference: r.reference, title: r.title, row: {},
    };
    req.row = {
      id: req.id, reference: r.reference, clause: rnd.chance(0.5) ? `§${rnd.int(1, 20)}.${rnd.int(1, 9)}` : null, title: r.title, text: `${r.title}: the duty holder shall ensure compliance.`, source: r.source,
      site_ids: req.siteIds, area_ids: req.areaIds, asset_ids: req.assetIds, asset_classes: req.assetClasses, work_types: req.workTypes, work_check: req.workCheck, recurrence_months: req.recurrence, lead_days: req.lead,
      acceptance_criteria: 'Inspected by a competent person; defects recorded and actioned', evidence: [{ kind: 'DOCUMENT', label: 'Inspection report', unit: null, min: null, max: null, questions: null }],
      owner_id: site.byRole.hse[0].id, created_by_id: site.byRole.hse[0].id, created_at: iso(daysAgo(400, 1000)),
    };
    reqs.push(req);
    (reqsBySite.get(site.id) ?? reqsBySite.set(site.id, []).get(site.id)!).push(req);
  };
  for (const site of sites) {
    addReq(site, { reference: 'PED 2014/68/EU', title: 'Pressure equipment periodic examination', source: 'REGULATION', assetClasses: ['PRESSURE_VESSEL', 'BOILER'], recurrence: 12, workTypes: ['MAINTENANCE'], workCheck: 'Relief valve set pressure verified after maintenance' });
    addReq(site, { reference: 'LOLER 1998', title: 'Thorough examination of lifting equipment', source: 'REGULATION', assetClasses: ['CRANE'], recurrence: 6, workTypes: ['MAINTENANCE'], workCheck: 'Load test certificate current' });
    addReq(site, { reference: 'ISO 45001', title: 'Safe systems of work', source: 'STANDARD' });
    addReq(site, { reference: 'NFPA 51B', title: 'Fire prevention during hot work', source: 'STANDARD', workTypes: ['MAINTENANCE', 'CONTRACTOR_JOB'] });
    addReq(site, { reference: 'IEC 60364-6', title: 'Periodic verification of electrical installations', source: 'STANDARD', assetClasses: ['MOTOR'], recurrence: 12 });
    addReq(site, { reference: `${site.code}-HSE-012`, title: 'Contractor work sign-off', source: 'INTERNAL', workTypes: ['CONTRACTOR_JOB'], workCheck: 'Area handed back clean and safe, signed by the area owner' });
    for (const area of site.areas) {
      addReq(site, { reference: `${site.code}-${area.code}-HK`, title: `${area.name} housekeeping audit`, source: 'INTERNAL', areaIds: [area.id], recurrence: 3, workTypes: ['CLEANING'] });
    }
  }
  const reqApplies = (r: Req, w: { siteId: string; areaId: string; assetId: string | null; assetClass: string | null; workType: string; sourceDomain: string; sourceRecordId: string | null }) => {
    if (w.sourceDomain === 'COMPLIANCE' && w.sourceRecordId === r.id) return true;
    if (!r.siteIds.includes(w.siteId)) return false;
    if (r.workTypes.length && !r.workTypes.includes(w.workType)) return false;
    if (!r.areaIds.length && !r.assetIds.length && !r.assetClasses.length) return true;
    return r.areaIds.includes(w.areaId) || (!!w.assetId && r.assetIds.includes(w.assetId)) || (!!w.assetClass && r.assetClasses.includes(w.assetClass));
  };

  // ---------------------------------------------------------------- work items
  const items: Item[] = [];
  const incidents: Row[] = [];
  const incidentActions: Row[] = [];
  const audits: Row[] = [];
  const findings: Row[] = [];
  const findingActions: Row[] = [];
  const obligations: Row[] = [];
  const reviewRows: Row[] = [];
  const reviewerRows: Row[] = [];
  const changeTasks: Row[] = [];
  const pssrChecks: Row[] = [];
  const openIncident = new Map<string, { row: Row; left: number; actions: number; items: Item[] }>();
  const openAudit = new Map<string, { row: Row; findings: number; left: number; finding: { row: Row; left: number; actions: number; items: Item[] } | null }>();

  const evidenceFor = (type: string, title: string): { acceptanceCriteria: string; evidence: Row[] } => {
    switch (type) {
      case 'INSPECTION':
        return { acceptanceCriteria: `${title}: inspected, findings recorded`, evidence: [{ kind: 'MEASUREMENT', label: 'Wall thickness', unit: 'mm', min: 6, max: 25, questions: null }, { kind: 'PHOTO', label: 'Photo of the nameplate', unit: null, min: null, max: null, questions: null }] };
      case 'ROUND':
        return { acceptanceCriteria: 'Round completed, every point checked', evidence: [{ kind: 'CHECKLIST', label: 'Round checklist', unit: null, min: null, max: null, questions: ['No leaks', 'No abnormal noise', 'Gauges in range'] }] };
      case 'PRE_STARTUP_CHECK':
        return { acceptanceCriteria: 'Every confirmation answered before restart', evidence: [{ kind: 'CHECKLIST', label: 'Pre-startup confirmations', unit: null, min: null, max: null, questions: ['Construction matches design', 'Procedures updated', 'Operators trained'] }] };
      case 'MAINTENANCE':
      case 'CONTRACTOR_JOB':
      case 'CORRECTIVE_ACTION':
        return { acceptanceCriteria: `${title}: done as described, area left clean`, evidence: [{ kind: 'PHOTO', label: 'Photo of the finished job', unit: null, min: null, max: null, questions: null }] };
      case 'CLEANING':
        return { acceptanceCriteria: 'Area clean to the housekeeping standard', evidence: [{ kind: 'SIGNATURE', label: 'Area owner sign-off', unit: null, min: null, max: null, questions: null }] };
      default:
        return { acceptanceCriteria: `${title}: done as described`, evidence: [] };
    }
  };

  const prereq = (item: Item, kind: string, description: string, sourceDomain: string, sourceRecordId: string, open: boolean, reason: string | null = null): Prereq => {
    const p: Prereq = {
      id: rnd.uuid(), kind, state: open ? 'OPEN' : 'SATISFIED', description: description.slice(0, 1000), sourceDomain, sourceRecordId, reason,
      waivedReason: null, waivedById: null, resolvedAt: open ? null : at(Math.min(now - 60_000, item.createdAt.getTime() + rnd.next() * DAY)), createdAt: item.createdAt,
    };
    item.prereqs.push(p);
    return p;
  };
  // An item "wants" to be blocked when its drawn status is OPEN (or it is in progress/on hold and blocked again).
  const wantsBlocked = (item: Item) => item.status === 'OPEN';

  for (let i = 0; i < spec.workItems; i++) {
    const site = sites[i % sites.length];
    const area = rnd.pick(site.areas);
    let type: string = rnd.weighted(WORK_TYPE_WEIGHTS);
    const status = rnd.weighted(STATUS_WEIGHTS);
    const asset = area.assets.length && (rnd.chance(0.75) || type === 'INSPECTION') ? rnd.pick(area.assets) : null;
    const createdAt = isOpen(status) ? daysAgo(0.2, 45) : daysAgo(5, 400);
    const contractor = type === 'CONTRACTOR_JOB' ? rnd.pick(site.byRole.contractor) : null;
    const workers = [...(site.byRole.technician ?? []), ...(site.byRole.operator ?? [])];
    let owner: Person | null = contractor ?? (rnd.chance(0.9) ? rnd.pick(workers) : null);
    const title = `${rnd.pick(TITLES[type] ?? TITLES.OTHER)} ${asset ? `${asset.code} ${asset.name.toLowerCase()}` : area.name.toLowerCase()}`;
    const item: Item = {
      id: rnd.uuid(), number: '', type, title, description: rnd.chance(0.6) ? `Raised during ${rnd.pick(['the morning round', 'a breakdown', 'planned maintenance', 'an audit', 'the weekly review'])}.` : null,
      status, heldFrom: null, holdReason: null, priority: rnd.weighted(PRIORITY_WEIGHTS), site, area, lineId: asset?.lineId ?? (rnd.chance(0.3) ? rnd.pick(area.lines).id : null), asset,
      shift: rnd.pick(['A', 'B', 'C', null]), contractorCompany: contractor?.company ?? null, dueAt: rnd.chance(0.7) ? at(createdAt.getTime() + rnd.int(1, 30) * DAY) : null,
      ownerId: owner?.id ?? null, team: rnd.pick(TEAMS), performerId: null, verifiedById: null, verifiedAt: null, completedAt: null,
      sourceDomain: 'MANUAL', sourceRecordId: null, sourceReason: null, requiredOutcome: { acceptanceCriteria: '', evidence: [] }, links: [], createdAt, updatedAt: createdAt,
      prereqs: [], permitTypes: [], request: null, domains: new Set(),
    };

    // Why the work exists: the supporting record that raised it.
    if (type === 'PRE_STARTUP_CHECK' || (type === 'MAINTENANCE' && rnd.chance(0.05))) {
      const wanted = type === 'PRE_STARTUP_CHECK' ? (isOpen(status) ? ['PRE_STARTUP_REVIEW'] : ['CLOSED']) : isOpen(status) ? ['IMPLEMENTING'] : ['CLOSED', 'PRE_STARTUP_REVIEW'];
      const change = (changesByArea.get(area.id) ?? []).find((c) => wanted.includes(c.status) && (type === 'PRE_STARTUP_CHECK' ? c.checks < 6 : c.tasks < 6));
      if (change) {
        item.sourceDomain = 'CHANGE';
        item.sourceRecordId = change.id;
        item.domains.add('change');
        const seq = type === 'PRE_STARTUP_CHECK' ? ++change.checks : ++change.tasks;
        const requestId = type === 'PRE_STARTUP_CHECK' ? `change:${change.id}:check:${seq}` : `change:${change.id}:task:${seq}`;
        item.request = { domain: 'CHANGE', requestId };
        item.sourceReason = type === 'PRE_STARTUP_CHECK' ? `Pre-startup safety review of ${change.row.title}` : `Implementation task of ${change.row.title}`;
        if (type === 'PRE_STARTUP_CHECK') {
          pssrChecks.push({
            id: rnd.uuid(), change_id: change.id, seq, title, what_changed: String(change.row.title), document_ids: [], permit_required: rnd.chance(0.3), permit_note: null,
            confirmations: ['Construction matches design', 'Procedures updated', 'Operators trained'], site_id: site.id, area_id: area.id, line_id: item.lineId, asset_id: asset?.id ?? null,
            owner_id: owner?.id ?? null, attempt: 1, request_id: requestId, raised_at: iso(createdAt), created_by_id: String(change.row.owner_id), created_at: iso(at(createdAt.getTime() - DAY)),
          });
        } else {
          changeTasks.push({
            id: rnd.uuid(), change_id: change.id, seq, title, description: null, work_type: 'MAINTENANCE', site_id: site.id, area_id: area.id, line_id: item.lineId, asset_id: asset?.id ?? null,
            owner_id: owner?.id ?? null, due_at: iso(item.dueAt), request_id: requestId, created_by_id: String(change.row.owner_id), created_at: iso(at(createdAt.getTime() - 3600_000)),
          });
        }
      } else if (type === 'PRE_STARTUP_CHECK') type = item.type = 'INSPECTION';
    } else if (type === 'DOCUMENT_REVIEW') {
      const candidates = (docsBySite.get(site.id) ?? []).filter((d) => !d.reviewOpen);
      const doc = candidates.length ? rnd.pick(candidates) : null;
      if (doc) {
        const reviewer = rnd.chance(0.5) ? doc.site.byRole.supervisor[0] : doc.site.byRole.hse[0];
        owner = reviewer;
        item.ownerId = reviewer.id;
        item.title = `Review ${doc.number}: ${doc.title}`.slice(0, 300);
        item.asset = null;
        item.sourceDomain = 'DOCUMENTS';
        item.sourceRecordId = doc.id;
        item.domains.add('documents');
        const reviewId = rnd.uuid();
        const open = isOpen(status);
        if (open) doc.reviewOpen = true;
        const requestId = `document-review:${reviewId}:${reviewer.id}`;
        item.request = { domain: 'DOCUMENTS', requestId };
        item.sourceReason = `Periodic review (every ${doc.row.review_interval_days ?? 365} days)`;
        reviewRows.push({
          id: reviewId, document_id: doc.id, kind: rnd.chance(0.8) ? 'PERIODIC' : 'TRIGGERED', reason: null, due_at: iso(item.dueAt ?? at(createdAt.getTime() + 30 * DAY)), status: open ? 'OPEN' : status === 'CANCELLED' ? 'CANCELLED' : 'CLOSED',
          requested_by_id: String(doc.row.owner_id), created_at: iso(createdAt), closed_at: open ? null : iso(at(createdAt.getTime() + 10 * DAY)),
        });
        reviewerRows.push({ id: rnd.uuid(), review_id: reviewId, person_id: reviewer.id, request_id: requestId });
      } else type = item.type = 'OTHER';
    } else if (type === 'CORRECTIVE_ACTION') {
      if (rnd.chance(0.6)) {
        let inc = openIncident.get(site.id);
        if (!inc || inc.left <= 0) {
          const id = rnd.uuid();
          const reporter = rnd.pick(site.people);
          const occurredAt = at(createdAt.getTime() - rnd.next() * 3 * DAY);
          const severity = rnd.weighted({ LOW: 40, MEDIUM: 35, HIGH: 20, CRITICAL: 5 });
          const closed = !isOpen(status) && rnd.chance(0.8);
          const row: Row = {
            id, type: rnd.weighted({ NEAR_MISS: 45, INJURY: 10, SPILL: 15, PROCESS_SAFETY_EVENT: 8, PROPERTY_DAMAGE: 15, OTHER: 7 }), severity, status: closed ? 'CLOSED' : rnd.pick(['INVESTIGATING', 'INVESTIGATED']),
            occurred_at: iso(occurredAt), site_id: site.id, area_id: area.id, asset_id: asset?.id ?? null, title: `${rnd.pick(['Leak', 'Slip', 'Near miss', 'Small fire', 'Dropped object', 'Spill'])} at ${asset?.code ?? area.name}`,
            description: 'Reported by the shift; see investigation findings.', reporter_id: reporter.id, people_involved_ids: [], investigator_id: site.byRole.hse[0].id,
            investigation_started_at: iso(at(occurredAt.getTime() + 3600_000)), investigation_completed_at: iso(at(occurredAt.getTime() + 2 * DAY)), root_causes: ['Procedure not followed', 'Worn equipment'].slice(0, rnd.int(1, 2)),
            findings: 'Contributing factors identified; actions raised.', hold_requested_at: null, closed_at: closed ? iso(at(Math.min(now - DAY, createdAt.getTime() + 20 * DAY))) : null,
            closed_by_id: closed ? site.byRole.hse[0].id : null, closing_note: closed ? 'All actions verified' : null, reported_at: iso(occurredAt), updated_at: iso(createdAt), version: closed ? 4 : 3,
          };
          inc = { row, left: rnd.int(1, 3), actions: 0, items: [] };
          incidents.push(row);
          openIncident.set(site.id, inc);
        }
        inc.left--;
        const n = ++inc.actions;
        const requestId = `incident:${inc.row.id}:action:${n}`;
        item.sourceDomain = 'HAZARDS';
        item.sourceRecordId = String(inc.row.id);
        item.sourceReason = `Corrective action of incident: ${inc.row.title}`;
        item.request = { domain: 'HAZARDS', requestId };
        item.domains.add('hazards');
        incidentActions.push({
          id: rnd.uuid(), incident_id: inc.row.id, number: n, kind: rnd.chance(0.7) ? 'CORRECTIVE' : 'PREVENTIVE', title, description: null, owner_id: owner?.id ?? site.byRole.supervisor[0].id,
          due_at: iso(item.dueAt), request_id: requestId, created_by_id: site.byRole.hse[0].id, created_at: iso(createdAt),
        });
      } else {
        let audit = openAudit.get(site.id);
        if (!audit || audit.left <= 0) {
          const row: Row = {
            id: rnd.uuid(), title: `${site.name} ${rnd.pick(['HSE', 'process safety', 'contractor', 'housekeeping'])} audit`, site_id: site.id, area_ids: [area.id], scope: 'Site operations',
            audit_date: iso(at(createdAt.getTime() - 2 * DAY)), auditor_id: auditor.id, created_by_id: site.byRole.hse[0].id, created_at: iso(at(createdAt.getTime() - 2 * DAY)),
          };
          audit = { row, findings: 0, left: rnd.int(2, 5), finding: null };
          audits.push(row);
          openAudit.set(site.id, audit);
        }
        if (!audit.finding || audit.finding.left <= 0) {
          audit.left--;
          const seq = ++audit.findings;
          const reqList = reqsBySite.get(site.id) ?? [];
          const row: Row = {
            id: rnd.uuid(), audit_id: audit.row.id, seq, severity: rnd.weighted({ OBSERVATION: 20, MINOR: 50, MAJOR: 25, CRITICAL: 5 }), requirement_id: reqList.length && rnd.chance(0.6) ? rnd.pick(reqList).id : null,
            site_id: site.id, area_id: area.id, asset_id: asset?.id ?? null, description: `${rnd.pick(['Guarding missing', 'Labels faded', 'Records incomplete', 'Escape route blocked', 'Bund damaged'])} at ${asset?.code ?? area.name}`,
            status: isOpen(status) ? 'OPEN' : rnd.chance(0.8) ? 'CLOSED' : 'OPEN', closed_at: null, closed_by_id: null, close_note: null, created_by_id: auditor.id, created_at: iso(createdAt),
          };
          if (row.status === 'CLOSED') Object.assign(row, { closed_at: iso(at(Math.min(now - DAY, createdAt.getTime() + 25 * DAY))), closed_by_id: site.byRole.hse[0].id, close_note: 'Actions verified' });
          audit.finding = { row, left: rnd.int(1, 2), actions: 0, items: [] };
          findings.push(row);
        }
        const finding = audit.finding;
        finding.left--;
        const seq = ++finding.actions;
        const requestId = `compliance:finding:${finding.row.id}:action:${seq}`;
        item.sourceDomain = 'COMPLIANCE';
        item.sourceRecordId = String(finding.row.id);
        item.sourceReason = `Corrective action of audit finding: ${finding.row.description}`;
        item.request = { domain: 'COMPLIANCE', requestId };
        item.domains.add('compliance');
        findingActions.push({ id: rnd.uuid(), finding_id: finding.row.id, seq, title, description: null, owner_id: owner?.id ?? null, due_at: iso(item.dueAt), request_id: requestId, created_by_id: auditor.id, created_at: iso(createdAt) });
      }
    } else if (type === 'INSPECTION' && rnd.chance(0.5)) {
      const candidates = (reqsBySite.get(site.id) ?? []).filter(
        (r) => r.recurrence && (r.areaIds.includes(area.id) || (!!asset && r.assetClasses.includes(asset.assetClass))),
      );
      if (candidates.length) {
        const r = rnd.pick(candidates);
        const obligationId = rnd.uuid();
        const requestId = `compliance:obligation:${obligationId}`;
        const targetKind = r.assetClasses.length && asset ? 'ASSET' : 'AREA';
        const dueAt = item.dueAt ?? at(createdAt.getTime() + r.lead * DAY);
        item.dueAt = dueAt;
        item.sourceDomain = 'COMPLIANCE';
        item.sourceRecordId = r.id;
        item.sourceReason = `${r.reference}: ${r.title} due ${dueAt.toISOString().slice(0, 10)}`;
        item.request = { domain: 'COMPLIANCE', requestId };
        item.domains.add('compliance');
        obligations.push({
          id: obligationId, requirement_id: r.id, target_kind: targetKind, site_id: site.id, area_id: area.id, asset_id: targetKind === 'ASSET' ? asset!.id : null, due_at: iso(dueAt),
          status: status === 'DONE' ? 'MET' : 'OPEN', attempt: 1, request_id: status === 'CANCELLED' ? null : requestId, raised_at: iso(createdAt), overdue_notified_at: null,
          met_at: null, evidence_work_item_id: status === 'DONE' ? item.id : null, evidence_verified_at: null, evidence_verifier_id: null, evidence_number: null, previous_id: null, created_at: iso(at(createdAt.getTime() - 40 * DAY)),
          __item: item,
        });
        // A cancelled inspection leaves its occurrence to be raised again; keep it well before its lead time.
        if (status === 'CANCELLED') obligations[obligations.length - 1].due_at = iso(at(now + (r.lead + 20 + rnd.next() * 60) * DAY));
      }
    }
    item.requiredOutcome = evidenceFor(type, item.title);
    if (owner && item.sourceDomain === 'MANUAL') item.sourceReason = rnd.chance(0.5) ? 'Raised on the shift' : null;
    site.items++;
    items.push(item);
  }

  // ---------------------------------------------------------------- permits covering work
  const permitRows: Row[] = [];
  const permitTransitions: Row[] = [];
  const isolationRows: Row[] = [];
  const gasTestRows: Row[] = [];
  const permitCovers: Row[] = [];
  const permitSeq = new Map<string, number>();
  const permitStatusFor = (itemStatus: string) => {
    if (itemStatus === 'DONE') return rnd.weighted({ CLOSED: 92, EXPIRED: 8 });
    if (itemStatus === 'CANCELLED') return rnd.weighted({ CANCELLED: 70, CLOSED: 30 });
    if (itemStatus === 'OPEN') return rnd.weighted({ DRAFT: 30, REQUESTED: 40, APPROVED: 30 });
    if (itemStatus === 'IN_PROGRESS' || itemStatus === 'ON_HOLD') return rnd.weighted({ ISSUED: 85, SUSPENDED: 15 });
    return 'ISSUED';
  };
  const pendingPermit = new Map<string, { row: Row; items: Item[] }>();
  for (const item of items) {
    if (!item.asset || !['MAINTENANCE', 'CONTRACTOR_JOB'].includes(item.type) || !rnd.chance(0.4)) continue;
    const key = `${item.area.id}:${item.status}`;
    const pending = pendingPermit.get(key);
    let permit: Row;
    if (pending && pending.items.length < 3 && rnd.chance(0.35)) {
      permit = pending.row;
      (permit.work_item_ids as string[]).push(item.id);
      if (!(permit.asset_ids as string[]).includes(item.asset.id)) (permit.asset_ids as string[]).push(item.asset.id);
      pending.items.push(item);
    } else {
      const site = item.site;
      const seq = (permitSeq.get(site.id) ?? 0) + 1;
      permitSeq.set(site.id, seq);
      const type = rnd.pick(PERMIT_BY_CLASS[item.asset.assetClass] ?? ['COLD_WORK']);
      const status = permitStatusFor(item.status);
      const requester = item.ownerId ? personById(item.ownerId)! : rnd.pick(site.byRole.technician ?? site.people);
      const issuer = site.byRole.permit_issuer[0];
      const approver = site.byRole.supervisor[0];
      const createdAt = at(item.createdAt.getTime() + 3600_000);
      const order = ['DRAFT', 'REQUESTED', 'APPROVED', 'ISSUED'];
      const path = status === 'SUSPENDED' ? [...order, 'SUSPENDED'] : status === 'CLOSED' || status === 'EXPIRED' ? [...order, status] : status === 'CANCELLED' ? ['DRAFT', 'REQUESTED', 'CANCELLED'] : order.slice(0, order.indexOf(status) + 1);
      const id = rnd.uuid();
      let t = createdAt.getTime();
      const stamps: Record<string, Date> = {};
      path.forEach((to, i) => {
        if (i) t += rnd.next() * 0.3 * DAY;
        const stamp = at(Math.min(t, now - 600_000));
        stamps[to] = stamp;
        permitTransitions.push({ permit_id: id, from_status: i ? path[i - 1] : null, to_status: to, actor_id: to === 'ISSUED' ? issuer.id : to === 'APPROVED' ? approver.id : requester.id, at: iso(stamp), note: to === 'SUSPENDED' ? 'Gas alarm in the area' : null });
      });
      const final = ['CLOSED', 'CANCELLED', 'EXPIRED'].includes(status);
      const validFrom = stamps.ISSUED ?? createdAt;
      const validTo = final ? at(validFrom.getTime() + 12 * 3600_000) : at(now + (20 + rnd.next() * 20) * DAY);
      const endedAt = final ? stamps[status] : null;
      permit = {
        id, number: `PTW-${site.code}-${String(seq).padStart(4, '0')}`, type, status, description: `${PERMIT_WORDS[type]} for ${item.title}`.slice(0, 500), site_id: site.id, area_id: item.area.id,
        asset_ids: [item.asset.id], work_item_ids: [item.id], requester_id: requester.id, approved_by_id: stamps.APPROVED ? approver.id : null, approved_at: iso(stamps.APPROVED),
        issuer_id: stamps.ISSUED ? issuer.id : null, issued_at: iso(stamps.ISSUED), performing_authority_id: item.ownerId, valid_from: iso(validFrom), valid_to: iso(validTo),
        precautions: rnd.sample(PRECAUTIONS, rnd.int(1, 3)), conditions: rnd.chance(0.3) ? 'Stop work if the gas alarm sounds' : null,
        status_reason: status === 'SUSPENDED' ? 'Gas alarm in the area' : status === 'CANCELLED' ? 'Work rescheduled' : status === 'EXPIRED' ? `validity ended at ${validTo.toISOString()}` : null,
        ended_at: iso(endedAt), created_at: iso(createdAt), updated_at: iso(stamps[status] ?? createdAt), version: path.length,
      };
      permitRows.push(permit);
      pendingPermit.set(key, { row: permit, items: [item] });
      // Isolations (lock-out points) and gas tests follow the permit's state.
      if (['ELECTRICAL', 'LINE_BREAKING', 'CONFINED_SPACE'].includes(type)) {
        for (let k = 0, n = rnd.int(1, 3); k < n; k++) {
          const applied = stamps.ISSUED ? at(stamps.ISSUED.getTime() - 1800_000) : null;
          const removed = final && applied ? endedAt : null;
          isolationRows.push({
            id: rnd.uuid(), permit_id: id, asset_id: item.asset.id, point: type === 'ELECTRICAL' ? `MCC-${rnd.int(1, 9)} breaker ${rnd.int(1, 40)}` : `${rnd.pick(['Suction', 'Discharge', 'Inlet', 'Drain'])} valve XV-${rnd.int(100, 999)}`,
            method: type === 'ELECTRICAL' ? 'ELECTRICAL_LOCKOUT' : rnd.pick(['VALVE_LOCKED_CLOSED', 'DOUBLE_BLOCK_AND_BLEED', 'BLIND_OR_SPADE']), tag: applied ? `LOTO-${rnd.int(1000, 9999)}` : null,
            applied_by_id: applied ? requester.id : null, applied_at: iso(applied), verified_by_id: applied ? issuer.id : null, verified_at: iso(applied ? at(applied.getTime() + 600_000) : null),
            removed_by_id: removed ? requester.id : null, removed_at: iso(removed), created_at: iso(createdAt),
          });
        }
      }
      if (type === 'CONFINED_SPACE' && stamps.ISSUED) {
        for (let k = 0, n = rnd.int(1, 2); k < n; k++) {
          const testedAt = at(stamps.ISSUED.getTime() - 900_000 + k * 4 * 3600_000);
          gasTestRows.push({
            id: rnd.uuid(), permit_id: id, o2: 20.9, lel: rnd.int(0, 3), h2s: rnd.int(0, 2), co: rnd.int(0, 8), limits: { o2Min: 19.5, o2Max: 23.5, lelMax: 10, h2sMax: 5, coMax: 25 }, within_limits: true,
            location: 'Manway', tested_by_id: site.byRole.hse[0].id, tested_at: iso(testedAt), expires_at: iso(at(testedAt.getTime() + 4 * 3600_000)), created_at: iso(testedAt),
          });
        }
      }
    }
    item.permitTypes.push(String(permit.type));
    item.domains.add('permits');
    item.links.push({ domain: 'PERMITS', recordId: permit.id, relation: 'covered by permit' });
    const authorises = permit.status === 'ISSUED';
    const open = isOpen(item.status) && item.status !== 'AWAITING_VERIFICATION' && !authorises;
    prereq(item, 'PERMIT_VALID', `Valid ${PERMIT_WORDS[String(permit.type)]} permit ${permit.number}`, 'PERMITS', String(permit.id), open,
      open ? (permit.status === 'SUSPENDED' ? `${permit.number} suspended: Gas alarm in the area` : `${permit.number} not yet issued (${String(permit.status).toLowerCase()})`) : null);
    if (isOpen(item.status)) permitCovers.push({ work_item_id: item.id, permit_id: permit.id, permit_type: permit.type });
  }

  // ---------------------------------------------------------------- job risk assessments
  const assessmentRows: Row[] = [];
  const jobHazardRows: Row[] = [];
  const jobControlRows: Row[] = [];
  for (const item of items) {
    const covered = item.permitTypes.length > 0;
    if (!(covered || (['MAINTENANCE', 'CONTRACTOR_JOB', 'CLEANING', 'PRE_STARTUP_CHECK'].includes(item.type) && rnd.chance(0.4)))) continue;
    const candidates = [...(item.asset ? hazardsByAsset.get(item.asset.id) ?? [] : []), ...(hazardsByArea.get(item.area.id) ?? []), ...(hazardsBySite.get(item.site.id) ?? [])];
    if (!candidates.length) continue;
    const assessmentId = rnd.uuid();
    const assessor = rnd.chance(0.5) ? item.site.byRole.hse[0] : item.site.byRole.supervisor[0];
    assessmentRows.push({ id: assessmentId, work_item_id: item.id, site_id: item.site.id, notes: rnd.chance(0.3) ? 'Toolbox talk held with the crew' : null, assessed_by_id: assessor.id, created_at: iso(at(item.createdAt.getTime() + 1800_000)) });
    item.domains.add('hazards');
    const chosen = rnd.sample(candidates, rnd.int(1, 3));
    chosen.forEach((h, hi) => {
      const jobHazardId = rnd.uuid();
      jobHazardRows.push({ id: jobHazardId, assessment_id: assessmentId, work_item_id: item.id, hazard_id: h.id, position: hi + 1 });
      h.controls.forEach((c, ci) => {
        const required = wantsBlocked(item) ? rnd.chance(0.45) : item.status === 'ON_HOLD' ? rnd.chance(0.2) : false;
        const controlId = rnd.uuid();
        const confirmedAt = required ? null : at(Math.min(now - 60_000, item.createdAt.getTime() + 2 * 3600_000));
        jobControlRows.push({
          id: controlId, assessment_id: assessmentId, job_hazard_id: jobHazardId, work_item_id: item.id, hazard_id: h.id, hazard_control_id: c.id, kind: c.kind, description: c.description, position: ci + 1,
          state: required ? 'REQUIRED' : 'CONFIRMED', evidence: required ? null : 'Checked at the job', evidence_url: required ? null : `https://files.example/evidence/${controlId}.jpg`,
          confirmed_by_id: required ? null : (item.ownerId ?? assessor.id), confirmed_at: iso(confirmedAt), reopened_reason: null,
        });
        const p = prereq(item, 'HAZARD_CONTROL_IN_PLACE', `${c.kind}: ${c.description} (${h.title})`, 'HAZARDS', controlId, required && isOpen(item.status));
        if (!isOpen(item.status)) p.state = 'SATISFIED';
      });
    });
  }

  // ---------------------------------------------------------------- change gates: work on assets in scope waits for approval
  const gateRows: Row[] = [];
  const changesByAsset = new Map<string, Change[]>();
  for (const c of changes) for (const a of c.assets) (changesByAsset.get(a.id) ?? changesByAsset.set(a.id, []).get(a.id)!).push(c);
  for (const item of items) {
    if (!item.asset || item.sourceDomain === 'CHANGE') continue;
    for (const c of changesByAsset.get(item.asset.id) ?? []) {
      const pending = c.status === 'SUBMITTED' || c.status === 'IN_REVIEW';
      if (pending && wantsBlocked(item)) {
        gateRows.push({ id: rnd.uuid(), change_id: c.id, work_item_id: item.id, created_at: iso(item.createdAt) });
        prereq(item, 'CHANGE_APPROVED', `Change MOC approval: ${c.row.title}`, 'CHANGE', c.id, true, `change is ${c.status.toLowerCase().replace('_', ' ')}`);
        item.domains.add('change');
      } else if (c.status === 'APPROVED' || c.status === 'IMPLEMENTING' || c.status === 'CLOSED') {
        if (rnd.chance(0.3) && new Date(String(c.row.created_at)).getTime() < item.createdAt.getTime()) {
          prereq(item, 'CHANGE_APPROVED', `Change MOC approval: ${c.row.title}`, 'CHANGE', c.id, false, `change approved`);
          item.domains.add('change');
        }
      }
    }
  }

  // ---------------------------------------------------------------- compliance checks on matching work
  const checkRows: Row[] = [];
  for (const item of items) {
    if (item.status === 'CANCELLED') continue;
    for (const r of reqsBySite.get(item.site.id) ?? []) {
      if (!r.workCheck) continue;
      const facts = { siteId: item.site.id, areaId: item.area.id, assetId: item.asset?.id ?? null, assetClass: item.asset?.assetClass ?? null, workType: item.type, sourceDomain: item.sourceDomain, sourceRecordId: item.sourceRecordId };
      if ((item.sourceDomain === 'COMPLIANCE' && item.sourceRecordId === r.id) || !reqApplies(r, facts)) continue;
      const open = wantsBlocked(item) && rnd.chance(0.7);
      const confirmer = item.site.byRole.hse[0];
      checkRows.push({
        id: rnd.uuid(), requirement_id: r.id, work_item_id: item.id, site_id: item.site.id, status: open ? 'OPEN' : 'CONFIRMED', confirmed_by_id: open ? null : confirmer.id,
        confirmed_at: open ? null : iso(at(Math.min(now - 60_000, item.createdAt.getTime() + DAY))), note: open ? null : 'Checked on site', created_at: iso(item.createdAt),
      });
      prereq(item, 'COMPLIANCE_CHECK', `${r.reference}: ${r.workCheck}`, 'COMPLIANCE', r.id, open, open ? `compliance requirement "${r.title}" applies to this work` : null);
      item.domains.add('compliance');
    }
  }

  // ---------------------------------------------------------------- document acknowledgements
  const ackRows = new Map<string, Row>();
  for (const item of items) {
    if (!item.ownerId || item.type === 'DOCUMENT_REVIEW') continue;
    const applicable = docsForPlace(item);
    if (applicable.length) item.domains.add('documents');
    if (!wantsBlocked(item) || !rnd.chance(0.15) || !applicable.length) continue;
    const doc = rnd.pick(applicable);
    const revisionId = String(doc.current.id);
    const key = `${revisionId}:${item.ownerId}`;
    let ack = ackRows.get(key);
    if (!ack) {
      ack = { id: rnd.uuid(), revision_id: revisionId, document_id: doc.id, person_id: item.ownerId, state: 'PENDING', work_item_ids: [], required_at: iso(item.createdAt), acknowledged_at: null };
      ackRows.set(key, ack);
    }
    (ack.work_item_ids as string[]).push(item.id);
    prereq(item, 'DOCUMENT_ACKNOWLEDGED', `Read and understood: ${doc.number} rev ${doc.current.label} "${doc.title}"`, 'DOCUMENTS', key, true);
  }
  // People of each area acknowledged most current revisions already.
  for (const doc of docs) {
    for (const person of rnd.sample(doc.site.people, Math.min(6, doc.site.people.length))) {
      const key = `${doc.current.id}:${person.id}`;
      if (ackRows.has(key)) continue;
      ackRows.set(key, { id: rnd.uuid(), revision_id: doc.current.id, document_id: doc.id, person_id: person.id, state: 'ACKNOWLEDGED', work_item_ids: [], required_at: doc.current.approved_at, acknowledged_at: iso(daysAgo(1, 30)) });
    }
  }

  // ---------------------------------------------------------------- competence: what each open item's owner lacks
  const reqMatch = (item: Item) => {
    const codes = new Set<string>();
    for (const [code, scope, value] of QUAL_REQUIREMENTS) {
      if ((scope === 'WORK_TYPE' && value === item.type) || (scope === 'ASSET_CLASS' && value === item.asset?.assetClass) || (scope === 'PERMIT_TYPE' && item.permitTypes.includes(value))) codes.add(code);
    }
    return [...codes];
  };
  for (const item of items) {
    if (!isOpen(item.status) || !item.ownerId) continue;
    const required = reqMatch(item);
    if (required.length) item.domains.add('competence');
    for (const code of required) {
      if (holdsNow(item.ownerId, code)) continue;
      const p = prereq(item, 'COMPETENCE_HELD', `${code} held by the owner`, 'COMPETENCE', `${item.ownerId}:${code}`, wantsBlocked(item), `${code} not held`);
      if (!wantsBlocked(item)) {
        p.state = 'WAIVED';
        p.waivedReason = 'Supervised by a qualified colleague';
        p.waivedById = item.site.byRole.supervisor[0].id;
      }
    }
  }

  // ---------------------------------------------------------------- settle states, people, history
  const transitions: Row[][] = [];
  for (const item of items) {
    const site = item.site;
    const workers = [...(site.byRole.technician ?? []), ...(site.byRole.operator ?? [])];
    // An OPEN item has at least one open blocker; a READY one none (every blocker satisfied or waived).
    if (item.status === 'OPEN' && !item.prereqs.some((p) => p.state === 'OPEN')) {
      prereq(item, 'MATERIAL', `Spare ${rnd.pick(PARTS)} from stores`, 'MANUAL', '', true);
    }
    if ((item.status === 'IN_PROGRESS' || item.status === 'ON_HOLD') && !item.prereqs.some((p) => p.state === 'OPEN') && rnd.chance(0.08)) {
      prereq(item, 'MATERIAL', `Replacement ${rnd.pick(PARTS)} on order`, 'MANUAL', '', true, 'found worn during the job');
    }
    if (!isOpen(item.status) && rnd.chance(0.2)) prereq(item, 'MATERIAL', `Spare ${rnd.pick(PARTS)} from stores`, 'MANUAL', '', false);
    for (const p of item.prereqs) if (!isOpen(item.status) && p.state === 'OPEN') { p.state = 'SATISFIED'; p.resolvedAt = at(item.createdAt.getTime() + DAY); }

    // People and times along the lifecycle.
    const started = ['IN_PROGRESS', 'AWAITING_VERIFICATION', 'DONE'].includes(item.status) || (item.status === 'ON_HOLD' && rnd.chance(0.5));
    if (started) item.performerId = item.ownerId ?? rnd.pick(workers).id;
    const span = Math.max(3600_000, Math.min(now - item.createdAt.getTime() - 600_000, 10 * DAY));
    const t0 = item.createdAt.getTime();
    const history: Row[] = [];
    const push = (from: string | null, to: string, t: number, actor: string, note: string | null = null) => {
      history.push({ work_item_id: item.id, from_status: from, to_status: to, actor_id: actor, at: iso(at(t)), note });
    };
    const raiser = item.request ? 'system' : (site.byRole.supervisor[0].id);
    push(null, 'OPEN', t0, raiser, item.sourceReason);
    const blockersAtStart = item.prereqs.length > 0;
    let t = t0;
    const step = () => (t += span * (0.1 + rnd.next() * 0.2));
    if (item.status !== 'OPEN' && item.status !== 'CANCELLED') {
      push('OPEN', 'READY', blockersAtStart ? step() : t0, 'system', blockersAtStart ? 'all prerequisites satisfied' : 'no prerequisites');
      if (item.status === 'ON_HOLD') {
        item.heldFrom = started ? 'IN_PROGRESS' : 'READY';
        item.holdReason = rnd.pick(['Waiting for a production window', 'Parts on back-order', 'Weather', 'Crane not available']);
        if (started) push('READY', 'IN_PROGRESS', step(), item.performerId!);
        push(item.heldFrom, 'ON_HOLD', step(), item.ownerId ?? site.byRole.supervisor[0].id, item.holdReason);
      } else if (item.status !== 'READY') {
        push('READY', 'IN_PROGRESS', step(), item.performerId!);
        if (item.status === 'AWAITING_VERIFICATION' || item.status === 'DONE') {
          item.completedAt = at(step());
          push('IN_PROGRESS', 'AWAITING_VERIFICATION', item.completedAt.getTime(), item.performerId!);
          if (item.status === 'DONE') {
            const verifiers = [...site.byRole.verifier, ...site.byRole.supervisor].filter((p) => p.id !== item.performerId);
            item.verifiedById = rnd.pick(verifiers).id;
            item.verifiedAt = at(step());
            push('AWAITING_VERIFICATION', 'DONE', item.verifiedAt.getTime(), item.verifiedById);
          }
        }
      }
    } else if (item.status === 'CANCELLED') {
      push('OPEN', 'CANCELLED', step(), site.byRole.supervisor[0].id, rnd.pick(['Duplicate', 'No longer needed', 'Raised in error']));
    }
    item.updatedAt = at(t);
    transitions.push(history);
  }

  // Numbers per site, in creation order (GRN-000001 is the oldest).
  const bySite = new Map<string, Item[]>();
  for (const item of items) (bySite.get(item.site.id) ?? bySite.set(item.site.id, []).get(item.site.id)!).push(item);
  for (const site of sites) {
    const list = (bySite.get(site.id) ?? []).sort((x, y) => x.createdAt.getTime() - y.createdAt.getTime() || (x.id < y.id ? -1 : 1));
    list.forEach((item, n) => (item.number = `${site.code}-${String(n + 1).padStart(6, '0')}`));
  }
  // Obligations proven by a verified inspection carry its number and verification.
  for (const o of obligations) {
    const item = o.__item as Item;
    delete o.__item;
    if (o.status === 'MET') Object.assign(o, { met_at: iso(item.verifiedAt), evidence_verified_at: iso(item.verifiedAt), evidence_verifier_id: item.verifiedById, evidence_number: item.number });
  }
  // Recurring requirements without an open occurrence get their next one, due well after the lead time.
  for (const r of reqs) {
    if (!r.recurrence) continue;
    const targets = r.assetClasses.length
      ? assetsAll.filter((a) => r.siteIds.includes(a.siteId) && r.assetClasses.includes(a.assetClass)).map((a) => ({ kind: 'ASSET', siteId: a.siteId, areaId: a.areaId, assetId: a.id as string | null }))
      : r.areaIds.length
        ? r.areaIds.map((areaId) => ({ kind: 'AREA', siteId: r.siteIds[0], areaId, assetId: null as string | null }))
        : [{ kind: 'SITE', siteId: r.siteIds[0], areaId: null as unknown as string, assetId: null as string | null }];
    for (const target of targets) {
      const taken = obligations.some((o) => o.requirement_id === r.id && o.status === 'OPEN' && (o.asset_id ?? o.area_id) === (target.assetId ?? target.areaId));
      if (taken) continue;
      obligations.push({
        id: rnd.uuid(), requirement_id: r.id, target_kind: target.kind, site_id: target.siteId, area_id: target.areaId, asset_id: target.assetId,
        due_at: iso(at(now + (r.lead + 20 + rnd.next() * r.recurrence * 30) * DAY)), status: 'OPEN', attempt: 0, request_id: null, raised_at: null, overdue_notified_at: null, met_at: null,
        evidence_work_item_id: null, evidence_verified_at: null, evidence_verifier_id: null, evidence_number: null, previous_id: null, created_at: iso(daysAgo(30, 300)),
      });
    }
  }

  // ---------------------------------------------------------------- rows of each database
  const workItemRow = (item: Item): Row => ({
    id: item.id, number: item.number, type: item.type, title: item.title, description: item.description, status: item.status, held_from: item.heldFrom, hold_reason: item.holdReason,
    priority: item.priority, open_prerequisites: isOpen(item.status) ? item.prereqs.filter((p) => p.state === 'OPEN').length : 0, site_id: item.site.id, area_id: item.area.id, line_id: item.lineId,
    asset_id: item.asset?.id ?? null, shift: item.shift, batch: null, vehicle: null, contractor_company: item.contractorCompany, window_start: null, window_end: null, customer_commitment: null,
    due_at: iso(item.dueAt), owner_id: item.ownerId, team: item.team, performer_id: item.performerId, verified_by_id: item.verifiedById, verified_at: iso(item.verifiedAt), completed_at: iso(item.completedAt),
    source_domain: item.sourceDomain, source_record_id: item.sourceRecordId, source_reason: item.sourceReason, required_outcome: item.requiredOutcome, links: item.links,
    created_at: iso(item.createdAt), updated_at: iso(item.updatedAt),
  });
  const lazy = new Random(`opsgraph-bench:${options.seed}:${options.scale}:evidence`);

  function* workItemRows() {
    for (let i = 0; i < items.length; i++) yield { ...workItemRow(items[i]), version: transitions[i].length };
  }
  function* prerequisiteRows() {
    for (const item of items) {
      for (const p of item.prereqs) {
        yield {
          id: p.id, work_item_id: item.id, kind: p.kind, state: p.state, description: p.description, source_domain: p.sourceDomain, source_record_id: p.sourceRecordId, reason: p.reason,
          waived_reason: p.waivedReason, waived_by_id: p.waivedById, resolved_at: iso(p.state === 'OPEN' ? null : p.resolvedAt ?? item.createdAt), created_at: iso(p.createdAt),
        };
      }
    }
  }
  function* transitionRows() {
    for (const history of transitions) yield* history;
  }
  function* evidenceRows() {
    for (const item of items) {
      if (!item.completedAt || !item.performerId) continue;
      for (const req of item.requiredOutcome.evidence) {
        const kind = String(req.kind);
        yield {
          id: lazy.uuid(), work_item_id: item.id, kind, label: req.label, text: kind === 'SIGNATURE' ? 'Signed by the area owner' : null, value: kind === 'MEASUREMENT' ? 12.4 : null,
          unit: kind === 'MEASUREMENT' ? req.unit : null, within_limits: kind === 'MEASUREMENT' ? true : null, url: kind === 'PHOTO' || kind === 'DOCUMENT' ? `https://files.example/${item.id}/${kind.toLowerCase()}.jpg` : null,
          checksum: null, answers: kind === 'CHECKLIST' ? (req.questions as string[]).map((q) => ({ question: q, answer: 'OK' })) : null, submitted_by_id: item.performerId, submitted_at: iso(item.completedAt),
        };
      }
    }
  }
  const trackedRows = () =>
    function* () {
      for (let i = 0; i < items.length; i++) {
        const item = items[i];
        const last = transitions[i][transitions[i].length - 1];
        yield {
          work_item_id: item.id, number: item.number, work_type: item.type, status: item.status, site_id: item.site.id, area_id: item.area.id, line_id: item.lineId, asset_id: item.asset?.id ?? null,
          asset_class: item.asset?.assetClass ?? null, source_domain: item.sourceDomain, source_record_id: item.sourceRecordId, request_id: item.request?.requestId ?? null, owner_id: item.ownerId,
          verified_at: iso(item.verifiedAt), verifier_id: item.verifiedById, last_event_at: last.at, updated_at: last.at,
        };
      }
    };
  const workRequests: Row[] = items.filter((i) => i.request).map((i) => ({ source_domain: i.request!.domain, request_id: i.request!.requestId, work_item_id: i.id, event_id: rnd.uuid(), created_at: iso(i.createdAt) }));

  // Shift log: three shifts a day over the last two weeks, per area.
  const shiftLog: Row[] = [];
  for (const site of sites) {
    const areaItems = new Map<string, Item[]>();
    for (const item of bySite.get(site.id) ?? []) if (isOpen(item.status)) (areaItems.get(item.area.id) ?? areaItems.set(item.area.id, []).get(item.area.id)!).push(item);
    for (const area of site.areas) {
      for (let d = 14; d >= 1; d--) {
        for (const [k, shift] of ['A', 'B', 'C'].entries()) {
          const related = areaItems.get(area.id) ?? [];
          shiftLog.push({
            id: rnd.uuid(), site_id: site.id, area_id: area.id, shift, author_id: site.byRole.supervisor[k % 2].id, at: iso(at(now - d * DAY + k * 8 * 3600_000 + 7 * 3600_000)),
            text: rnd.pick(['Line ran to plan.', 'Short stop for a jam on the infeed.', 'Leak found and contained; work raised.', 'Handover: two jobs waiting for permits.']),
            attention_next_shift: rnd.chance(0.2), work_item_ids: related.length && rnd.chance(0.4) ? [rnd.pick(related).id] : [],
          });
        }
      }
    }
  }

  const locations = {
    site: sites.map((s) => ({ id: s.id, code: s.code, name: s.name, last_number: s.items, created_at: iso(at(now - 1500 * DAY)) })),
    area: sites.flatMap((s) => s.areas.map((a) => ({ id: a.id, site_id: s.id, code: a.code, name: a.name }))),
    line: sites.flatMap((s) => s.areas.flatMap((a) => a.lines.map((l) => ({ id: l.id, site_id: s.id, area_id: a.id, code: l.code, name: l.name })))),
    asset: assetsAll.map((a) => ({ id: a.id, site_id: a.siteId, area_id: a.areaId, line_id: a.lineId, parent_id: a.parentId, code: a.code, name: a.name, asset_class: a.assetClass })),
  };

  const databases: Record<string, Record<string, Table>> = {
    work: {
      ...locations,
      work_item: workItemRows,
      prerequisite: prerequisiteRows,
      transition: transitionRows,
      evidence: evidenceRows,
      shift_log_entry: shiftLog,
      work_request: workRequests,
    },
    permits: {
      permit_site: sites.map((s) => ({ site_id: s.id, code: s.code, last_number: permitSeq.get(s.id) ?? 0 })),
      permit: permitRows,
      permit_transition: permitTransitions,
      isolation: isolationRows,
      gas_test: gasTestRows,
    },
    competence: {
      person: people.map((p) => ({ id: p.id, name: p.name, company: p.company, roles: p.roles, site_ids: p.siteIds, created_at: iso(at(now - 1500 * DAY)), updated_at: iso(at(now - 1500 * DAY)), version: 1 })),
      qualification: quals.map((q) => ({ id: q.id, code: q.code, name: q.name, description: null, validity_months: q.months, created_at: iso(q.createdAt) })),
      qualification_requirement: qualRequirements,
      competence_record: competenceRecords,
      open_work_item: () =>
        (function* () {
          for (const item of items) {
            if (!isOpen(item.status)) continue;
            yield { work_item_id: item.id, number: item.number, site_id: item.site.id, work_type: item.type, asset_class: item.asset?.assetClass ?? null, owner_id: item.ownerId, contractor_company: item.contractorCompany, created_at: iso(item.createdAt) };
          }
        })(),
      work_permit_cover: permitCovers,
    },
    documents: {
      document: docRows,
      document_revision: revisionRows,
      document_review: reviewRows,
      document_reviewer: reviewerRows,
      document_acknowledgement: [...ackRows.values()],
      tracked_work_item: trackedRows(),
    },
    hazards: {
      hazard: hazardRows,
      hazard_control: hazardControlRows,
      job_risk_assessment: assessmentRows,
      job_hazard: jobHazardRows,
      job_hazard_control: jobControlRows,
      incident: incidents,
      incident_action: incidentActions,
      tracked_work_item: trackedRows(),
    },
    change: {
      change_request: changeRows,
      change_approval: changeApprovals,
      change_transition: changeTransitions,
      change_gate: gateRows,
      change_task: changeTasks,
      pre_startup_check: pssrChecks,
      tracked_work_item: trackedRows(),
    },
    compliance: {
      requirement: reqs.map((r) => r.row),
      compliance_obligation: obligations,
      compliance_check: checkRows,
      compliance_audit: audits,
      audit_finding: findings,
      compliance_finding_action: findingActions,
      tracked_work_item: trackedRows(),
    },
  };

  // ---------------------------------------------------------------- manifest: what the benchmark needs to know
  const boardSite = sites[0];
  const boardArea = boardSite.areas[0];
  const areaItems = items.filter((i) => i.area.id === boardArea.id);
  const openInArea = areaItems.filter((i) => isOpen(i.status));
  const pageItems = [...openInArea]
    .sort((x, y) => y.domains.size - x.domains.size || y.prereqs.length - x.prereqs.length || (x.id < y.id ? -1 : 1))
    .slice(0, 20)
    .map((i) => i.id);
  const callerOf = (p: Person): Caller => ({ id: p.id, name: p.name, roles: p.roles, sites: p.siteIds, ...(p.company && p.roles.includes('contractor') ? { company: p.company } : {}) });
  const counts: Record<string, Record<string, number>> = {};
  const manifest: Manifest = {
    version: PLANT_VERSION,
    scale: options.scale,
    seed: options.seed,
    anchor: options.anchor.toISOString(),
    spec,
    counts,
    board: { siteId: boardSite.id, siteCode: boardSite.code, areaId: boardArea.id, areaCode: boardArea.code, openItems: openInArea.length, items: areaItems.length },
    callers: {
      supervisor: callerOf(boardSite.byRole.supervisor[0]),
      technician: callerOf(boardSite.byRole.technician[0]),
      verifier: callerOf(boardSite.byRole.verifier[0]),
    },
    pageItems,
  };
  return { manifest, databases };
}
