import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { dropDatabase, type Caller } from '@opsgraph/core';
import { createTransport, type Transport } from '@opsgraph/events';
import { eventually, expectError, ok, people, person, startTestGateway, startTestProducer, type TestGateway, type TestProducer, type TestService } from '@opsgraph/testing';
import { seedPlant, startWork, type Plant } from './fixtures';

// Work raised by another domain arrives as an event: over the Postgres bus here, in a bus database of this file's own.
process.env.KAFKA_BROKERS = '';
process.env.OPSGRAPH_BUS_DATABASE = `test_bus_${randomBytes(4).toString('hex')}`;

/**
 * The shift handover through the real gateway (README, "Shift handover"): what it contains, each item in one
 * section, what changed since the last accepted handover, standing conditions carried forward until cleared, and the
 * handover as a control point (start, accept or refuse, the stored picture and its digest).
 */
let work: TestService;
let gateway: TestGateway;
let plant: Plant;
let other: Plant;
let transport: Transport;
let change: TestProducer;

beforeAll(async () => {
  work = await startWork();
  gateway = await startTestGateway({ work: work.url });
  plant = await seedPlant(work, 'HOV');
  other = await seedPlant(work, 'HOX');
  transport = createTransport();
  change = await startTestProducer('change', transport);
});
afterAll(async () => {
  await change?.close();
  await transport?.close();
  await gateway?.stop();
  await work?.stop();
  await dropDatabase(process.env.OPSGRAPH_BUS_DATABASE!);
});

const at = (site: () => string) => ({
  outgoing: () => person('00000000-0000-4000-8000-0000000000b1', 'operator', [site()]),
  incoming: () => person('00000000-0000-4000-8000-0000000000b2', 'technician', [site()]),
  bystander: () => person('00000000-0000-4000-8000-0000000000b3', 'technician', [site()]),
  supervisor: () => person('00000000-0000-4000-8000-0000000000b4', 'supervisor', [site()]),
  verifier: () => person('00000000-0000-4000-8000-0000000000b5', 'verifier', [site()]),
  acme: () => person('00000000-0000-4000-8000-0000000000ac', 'contractor', [site()], 'Acme'),
});
const crew = at(() => plant.siteId);

const call = async (query: string, variables: Record<string, unknown>, caller: Caller) => ok(await gateway.query(query, variables, caller));
const sha256 = (text: string) => createHash('sha256').update(text, 'utf8').digest('hex');
const ids = (list: { id: string }[]) => list.map((i) => i.id).sort();
const iso = (ms = 0) => new Date(Date.now() + ms).toISOString();
const pause = () => new Promise((r) => setTimeout(r, 20));

let areaCount = 0;
async function newArea(siteId = plant.siteId): Promise<string> {
  return call(`mutation($s: ID!, $c: String!) { createArea(input: { siteId: $s, code: $c, name: "Handover area" }) { id } }`, { s: siteId, c: `HA${areaCount++}` }, people.admin).then(
    (d) => d.createArea.id,
  );
}

async function newItem(areaId: string, input: Record<string, unknown> = {}, caller: Caller = crew.supervisor()): Promise<{ id: string; number: string; status: string }> {
  const i = { type: 'MAINTENANCE', title: 'Handover job', siteId: plant.siteId, areaId, ...input };
  return (await call(`mutation($i: CreateWorkItemInput!) { createWorkItem(input: $i) { id number status } }`, { i }, caller)).createWorkItem;
}

const ITEM_MUTATIONS: Record<string, string> = {
  startWork: `mutation($id: ID!) { startWork(id: $id) { id } }`,
  completeWork: `mutation($id: ID!) { completeWork(id: $id, evidence: []) { id } }`,
  verifyWork: `mutation($id: ID!) { verifyWork(id: $id, accept: true) { id } }`,
  cancelWork: `mutation($id: ID!) { cancelWork(id: $id, reason: "not needed") { id } }`,
  holdWork: `mutation($id: ID!) { holdWork(id: $id, reason: "waiting for the crane") { id } }`,
  resumeWork: `mutation($id: ID!) { resumeWork(id: $id) { id } }`,
};
const act = (mutation: keyof typeof ITEM_MUTATIONS, id: string, caller: Caller = crew.incoming()) => call(ITEM_MUTATIONS[mutation], { id }, caller);

const note = (areaId: string | null, shift: string, text: string, extra: Record<string, unknown> = {}, caller: Caller = crew.outgoing()) =>
  call(`mutation($i: ShiftLogInput!) { addShiftLogEntry(input: $i) { id } }`, { i: { siteId: plant.siteId, areaId, shift, text, ...extra } }, caller).then((d) => d.addShiftLogEntry.id as string);

const LIVE = `query($s: ID!, $a: ID, $shift: String!, $from: DateTime!, $to: DateTime!) {
  handover(siteId: $s, areaId: $a, shift: $shift, from: $from, to: $to) {
    since truncated lastAccepted { id }
    done { id } cancelled { id } awaitingVerification { id } inProgress { id } blocked { id holdReason blockers { description } } ready { id }
    notes { id text }
    standingConditions { id kind description raisedBy { id } area { id } asset { id } workItems { id } }
    changes { kind workItemId number from to actor { id } prerequisiteKind conditionKind conditionId description note workItem { id } }
  } }`;
const live = async (areaId: string | null, from: string, shift = 'A', caller: Caller = crew.outgoing(), to = iso(1000)) =>
  (await call(LIVE, { s: plant.siteId, a: areaId, shift, from, to }, caller)).handover;

const RECORD = `id status shift incomingShift incomingPerson { id } from at startedBy { id } acceptedBy { id } acceptedAt acceptanceNote refusedBy { id } refusalReason
  digest canonicalPicture integrity { algorithm digest recomputed intact }
  picture { version site { id code } area { id } shift incomingShift incomingPerson { id } startedBy { id } from to since followsHandoverId
            done { id number status } cancelled { id } awaitingVerification { id } inProgress { id } blocked { id holdReason blockers { kind description } } ready { id workItem { id status } }
            notes { id text } standingConditions { id kind description workItemIds } changes { kind workItemId } truncated }
  addedAfter { entry { id text } afterAcceptance }`;
const start = (input: Record<string, unknown>, caller: Caller = crew.outgoing()) =>
  gateway.query(`mutation($i: StartHandoverInput!) { startHandover(input: $i) { ${RECORD} } }`, { i: { siteId: plant.siteId, shift: 'A', ...input } }, caller);
const accept = (id: string, caller: Caller, noteText?: string) => gateway.query(`mutation($id: ID!, $n: String) { acceptHandover(id: $id, note: $n) { ${RECORD} } }`, { id, n: noteText }, caller);
const refuse = (id: string, caller: Caller, reason: string) => gateway.query(`mutation($id: ID!, $r: String!) { refuseHandover(id: $id, reason: $r) { ${RECORD} } }`, { id, r: reason }, caller);
const record = async (id: string, caller: Caller = crew.supervisor()) => (await call(`query($id: ID!) { handoverRecord(id: $id) { ${RECORD} } }`, { id }, caller)).handoverRecord;

const SECTIONS = ['done', 'cancelled', 'awaitingVerification', 'inProgress', 'blocked', 'ready'] as const;
/** Every item of a handover with the sections it is in. */
function placements(h: Record<string, { id: string }[]>): Map<string, string[]> {
  const found = new Map<string, string[]>();
  for (const s of SECTIONS) for (const i of h[s]) found.set(i.id, [...(found.get(i.id) ?? []), s]);
  return found;
}

describe('what a shift handover contains', () => {
  let areaId: string;
  let from: string;
  const items: Record<string, string> = {};

  beforeAll(async () => {
    areaId = await newArea();
    from = iso(-1000);
    // Work raised by another domain carries no shift; work of another shift; work of every state.
    // A change's implementation task, requested by the change domain: no shift.
    const changeId = randomUUID();
    await change.record('work.requested', changeId, { requestId: `change:${changeId}:task:1`, siteId: plant.siteId, areaId, type: 'CORRECTIVE_ACTION', title: 'Fit new valve (MOC)', sourceRecordId: changeId });
    items.fromChange = await eventually(async () => (await work.db.query(`SELECT id FROM work_item WHERE source_record_id = $1 AND shift IS NULL`, [changeId]))[0]?.id as string | undefined, 30_000);
    items.shiftB = (await newItem(areaId, { title: 'Night shift job', shift: 'B' })).id;
    await act('startWork', items.shiftB);
    items.awaiting = (await newItem(areaId, { title: 'Handed to verification', shift: 'A' })).id;
    await act('startWork', items.awaiting);
    await act('completeWork', items.awaiting);
    items.verified = (await newItem(areaId, { title: 'Verified job', shift: 'A' })).id;
    await act('startWork', items.verified);
    await act('completeWork', items.verified);
    await act('verifyWork', items.verified, crew.verifier());
    items.cancelled = (await newItem(areaId, { title: 'Cancelled job' })).id;
    await act('cancelWork', items.cancelled, crew.supervisor());
    items.blocked = (await newItem(areaId, { title: 'Waiting for parts', prerequisites: [{ kind: 'MATERIAL', description: 'bearing 6204' }] })).id;
    items.held = (await newItem(areaId, { title: 'Held job' })).id;
    await act('holdWork', items.held);
    items.elsewhere = (await newItem(plant.otherAreaId, { title: 'Other area job' })).id;
    await note(areaId, 'A', 'A shift: vibration on P-301 watched');
    await note(areaId, 'B', 'B shift note');
  });

  test('open work of the area whatever its shift or source, and work touched in the window; each item in exactly one section', async () => {
    const h = await live(areaId, from);
    const where = placements(h);
    expect(Object.fromEntries([...where].map(([id, sections]) => [id, sections]))).toEqual({
      [items.fromChange]: ['ready'],
      [items.shiftB]: ['inProgress'],
      [items.awaiting]: ['awaitingVerification'],
      [items.verified]: ['done'],
      [items.cancelled]: ['cancelled'],
      [items.blocked]: ['blocked'],
      [items.held]: ['blocked'],
    });
    expect(h.blocked.find((i: any) => i.id === items.blocked).blockers).toEqual([{ description: 'bearing 6204' }]);
    expect(h.blocked.find((i: any) => i.id === items.held).holdReason).toBe('waiting for the crane');
    // The shift selects the notes only.
    expect(h.notes.map((n: any) => n.text)).toEqual(['A shift: vibration on P-301 watched']);
    expect((await live(areaId, from, 'B')).inProgress).toEqual([{ id: items.shiftB }]);
    expect(h.truncated).toBe(false);
  });

  test('a window before any of it shows the open work but none of what finished', async () => {
    const h = await live(areaId, iso(-7200_000), 'A', crew.outgoing(), iso(-3600_000));
    expect(h.done).toEqual([]);
    expect(h.cancelled).toEqual([]);
    expect(h.notes).toEqual([]);
    expect(ids([...h.ready, ...h.inProgress, ...h.awaitingVerification, ...h.blocked])).toEqual([items.fromChange, items.shiftB, items.awaiting, items.blocked, items.held].sort());
  });

  test('the whole site: both areas; the held item is a standing condition too', async () => {
    const h = await live(null, from);
    expect([...placements(h).keys()]).toEqual(expect.arrayContaining([items.elsewhere, items.held]));
    expect(h.standingConditions).toEqual(
      expect.arrayContaining([expect.objectContaining({ id: items.held, kind: 'WORK_ON_HOLD', raisedBy: { id: crew.incoming().id }, workItems: [{ id: items.held }] })]),
    );
  });
});

describe('the handover as a control point', () => {
  let areaId: string;
  let from: string;
  let ready: string;
  let running: string;

  beforeAll(async () => {
    areaId = await newArea();
    from = iso(-1000);
    ready = (await newItem(areaId, { title: 'Ready job' })).id;
    running = (await newItem(areaId, { title: 'Running job' })).id;
    await act('startWork', running);
  });

  test('start stores the picture with the sha256 of its canonical JSON; accept by the incoming responsible, never by whoever started it', async () => {
    const started = ok(await start({ areaId, from, incoming: { personId: crew.incoming().id, shift: 'B' }, note: 'quiet shift' })).startHandover;
    expect(started).toMatchObject({ status: 'AWAITING_ACCEPTANCE', shift: 'A', incomingShift: 'B', incomingPerson: { id: crew.incoming().id }, startedBy: { id: crew.outgoing().id }, acceptedBy: null });
    expect(started.digest).toBe(sha256(started.canonicalPicture));
    expect(started.integrity).toEqual({ algorithm: 'sha256', digest: started.digest, recomputed: started.digest, intact: true });
    // The canonical JSON: sorted keys, no whitespace; the picture is the handover as it stood.
    const parsed = JSON.parse(started.canonicalPicture);
    expect(Object.keys(parsed)).toEqual([...Object.keys(parsed)].sort());
    expect(started.canonicalPicture).not.toMatch(/\n|": /);
    expect(started.picture).toMatchObject({ version: 1, site: { id: plant.siteId, code: 'HOV' }, area: { id: areaId }, shift: 'A', from, since: from, followsHandoverId: null, truncated: false });
    expect(started.picture.ready).toEqual([{ id: ready, workItem: { id: ready, status: 'READY' } }]);
    expect(ids(started.picture.inProgress)).toEqual([running]);

    // One awaiting acceptance per place.
    expectError(await start({ areaId, from }), 'CONFLICT');
    // Separation of duties, roles, and who was named.
    expect(expectError(await accept(started.id, crew.outgoing()), 'SEPARATION_OF_DUTIES').message).toMatch(/started/);
    expectError(await accept(started.id, crew.bystander()), 'FORBIDDEN');
    expectError(await accept(started.id, crew.verifier()), 'FORBIDDEN');
    expectError(await accept(started.id, crew.acme()), 'FORBIDDEN');
    expectError(await accept(started.id, person(randomUUID(), 'supervisor', [other.siteId])), 'NOT_FOUND');
    expect((await record(started.id)).status).toBe('AWAITING_ACCEPTANCE');

    const accepted = ok(await accept(started.id, crew.incoming(), 'read and understood')).acceptHandover;
    expect(accepted).toMatchObject({ status: 'ACCEPTED', acceptedBy: { id: crew.incoming().id }, acceptanceNote: 'read and understood', refusedBy: null });
    expectError(await accept(started.id, crew.supervisor()), 'ILLEGAL_TRANSITION');
    expectError(await refuse(started.id, crew.supervisor(), 'too late'), 'ILLEGAL_TRANSITION');

    // Later work changes the live picture, never the stored one; a later note of the shift is marked as added after.
    await pause();
    await act('completeWork', running);
    const late = await note(areaId, 'A', 'Forgot: the spare seal is in bay 2');
    const kept = await record(started.id);
    expect(kept.canonicalPicture).toBe(started.canonicalPicture);
    expect(kept.integrity.intact).toBe(true);
    expect(ids(kept.picture.inProgress)).toEqual([running]);
    expect(kept.addedAfter).toEqual([{ entry: { id: late, text: 'Forgot: the spare seal is in bay 2' }, afterAcceptance: true }]);
    expect(ids((await live(areaId, from)).awaitingVerification)).toEqual([running]);

    // Who accepted which picture, per area.
    const status = (await call(`query($s: ID!) { handoverStatus(siteId: $s) { area { id } lastAccepted { id digest acceptedBy { id } } awaitingAcceptance { id } refusedSinceAccepted { id } } }`, { s: plant.siteId }, crew.bystander())).handoverStatus;
    expect(status.find((s: any) => s.area?.id === areaId)).toEqual({ area: { id: areaId }, lastAccepted: { id: started.id, digest: started.digest, acceptedBy: { id: crew.incoming().id } }, awaitingAcceptance: null, refusedSinceAccepted: [] });
    expect(status.find((s: any) => s.area?.id === plant.otherAreaId)).toMatchObject({ lastAccepted: null, awaitingAcceptance: null });
  });

  test('refused with a reason, then started again from the last accepted picture; still unaccepted shows per area', async () => {
    const [previous] = (await call(`query($s: ID!, $a: ID) { handovers(siteId: $s, areaId: $a) { id status } }`, { s: plant.siteId, a: areaId }, crew.bystander())).handovers;
    expect(previous.status).toBe('ACCEPTED');
    const first = ok(await start({ areaId }, crew.outgoing())).startHandover;
    // `from` defaults to the moment of the place's last accepted handover.
    expect(first.picture.followsHandoverId).toBe(previous.id);
    expect(first.from).toBe((await record(previous.id)).at);
    expectError(await refuse(first.id, crew.supervisor(), ''), 'BAD_USER_INPUT');
    const refused = ok(await refuse(first.id, crew.supervisor(), 'the seal job is not in the picture correctly')).refuseHandover;
    expect(refused).toMatchObject({ status: 'REFUSED', refusedBy: { id: crew.supervisor().id }, refusalReason: 'the seal job is not in the picture correctly', acceptedBy: null });
    const again = ok(await start({ areaId }, crew.bystander())).startHandover;
    const status = (await call(`query($s: ID!) { handoverStatus(siteId: $s) { area { id } lastAccepted { id } awaitingAcceptance { id startedBy { id } } refusedSinceAccepted { id refusalReason } } }`, { s: plant.siteId }, crew.outgoing())).handoverStatus;
    expect(status.find((s: any) => s.area?.id === areaId)).toEqual({
      area: { id: areaId },
      lastAccepted: { id: previous.id },
      awaitingAcceptance: { id: again.id, startedBy: { id: crew.bystander().id } },
      refusedSinceAccepted: [{ id: first.id, refusalReason: 'the seal job is not in the picture correctly' }],
    });
    // A supervisor accepts where nobody was named; the one who started it cannot.
    expectError(await accept(again.id, crew.outgoing()), 'FORBIDDEN');
    expect(ok(await accept(again.id, crew.supervisor())).acceptHandover.status).toBe('ACCEPTED');
  });

  test('the stored picture cannot be changed in place; one changed behind the database\'s back shows, and is not accepted', async () => {
    const areaX = await newArea();
    const started = ok(await start({ areaId: areaX, from })).startHandover;
    await expect(work.db.query(`UPDATE handover SET picture = '{}' WHERE id = $1`, [started.id])).rejects.toThrow(/kept as it was taken/);
    await expect(work.db.query(`DELETE FROM handover WHERE id = $1`, [started.id])).rejects.toThrow(/never deleted/);
    // Someone with the owner's rights switches the guard off and edits the picture.
    await work.db.query(`ALTER TABLE handover DISABLE TRIGGER handover_kept`);
    try {
      await work.db.query(`UPDATE handover SET picture = replace(picture, '"truncated":false', '"truncated":true') WHERE id = $1`, [started.id]);
    } finally {
      await work.db.query(`ALTER TABLE handover ENABLE TRIGGER handover_kept`);
    }
    const edited = await record(started.id);
    expect(edited.integrity).toMatchObject({ digest: started.digest, intact: false });
    expect(edited.integrity.recomputed).toBe(sha256(edited.canonicalPicture));
    expectError(await accept(started.id, crew.supervisor()), 'CONFLICT');
    expect((await record(started.id)).status).toBe('AWAITING_ACCEPTANCE');
  });

  test('two outgoing people starting at once: one handover awaits acceptance, the other is told so', async () => {
    const areaZ = await newArea();
    const results = await Promise.all([start({ areaId: areaZ, from }, crew.outgoing()), start({ areaId: areaZ, from }, crew.bystander())]);
    expect(results.filter((r) => !r.errors).length).toBe(1);
    expectError(results.find((r) => r.errors)!, 'CONFLICT');
    expect((await work.db.query(`SELECT count(*)::int AS n FROM handover WHERE area_id = $1`, [areaZ]))[0].n).toBe(1);
  });

  test('the SQL statements of a handover do not grow with its items', async () => {
    const areaS = await newArea();
    const statements = async () => {
      const res = await work.query(LIVE, { s: plant.siteId, a: areaS, shift: 'A', from, to: iso(1000) }, crew.outgoing());
      ok(res);
      return res.statements;
    };
    const add = async (n: number) => {
      for (let i = 0; i < n; i++) {
        const id = (await newItem(areaS, { title: `batch ${i}`, prerequisites: i % 2 ? [{ kind: 'OTHER', description: 'b' }] : [] })).id;
        if (i % 3 === 0) await act('holdWork', id);
      }
    };
    await add(2);
    const few = await statements();
    expect(few).toBeGreaterThan(0);
    await add(8);
    expect(await statements()).toBe(few);
  });

  test('bad input and scope: nothing is stored', async () => {
    const count = async () => (await work.db.query(`SELECT count(*)::int AS n FROM handover`))[0].n;
    const before = await count();
    const areaY = await newArea();
    expectError(await start({ areaId: areaY }), 'BAD_USER_INPUT'); // no accepted handover yet: from is needed
    expectError(await start({ areaId: areaY, from: iso(60_000) }), 'BAD_USER_INPUT');
    expectError(await start({ areaId: areaY, from, incoming: { personId: crew.outgoing().id } }), 'SEPARATION_OF_DUTIES');
    expectError(await start({ areaId: areaY, from }, crew.verifier()), 'FORBIDDEN');
    expectError(await start({ areaId: areaY, from }, crew.acme()), 'FORBIDDEN');
    // Another site's area is answered as a random one.
    const foreign = expectError(await start({ areaId: other.areaId, from }), 'NOT_FOUND');
    const random = expectError(await start({ areaId: '5a5a5a5a-0000-4000-8000-000000000000', from }), 'NOT_FOUND');
    expect(foreign.message.replace(other.areaId, '<id>')).toBe(random.message.replace('5a5a5a5a-0000-4000-8000-000000000000', '<id>'));
    expect(await count()).toBe(before);
    expectError(await gateway.query(`query($id: ID!) { handoverRecord(id: $id) { id } }`, { id: randomUUID() }, crew.outgoing()), 'NOT_FOUND');
  });
});

describe('what changed since the last handover', () => {
  test('transitions, blockers raised and cleared, and conditions since the accepted picture, oldest first', async () => {
    const areaId = await newArea();
    const from = iso(-1000);
    const ready = (await newItem(areaId, { title: 'Start me' })).id;
    const blocked = await newItem(areaId, { title: 'Needs parts', prerequisites: [{ kind: 'MATERIAL', description: 'gasket' }] });
    const handed = ok(await start({ areaId, from, incoming: { personId: crew.incoming().id } })).startHandover;
    // Before the picture: in it, not in what changed since.
    expect(handed.picture.changes.map((c: any) => c.kind)).toEqual(expect.arrayContaining(['TRANSITION', 'BLOCKER_RAISED']));
    ok(await accept(handed.id, crew.incoming()));
    await pause();

    await act('startWork', ready);
    const gasket = (await call(`query($id: ID!) { workItem(id: $id) { blockers { id } } }`, { id: blocked.id }, crew.incoming())).workItem.blockers[0].id;
    await call(`mutation($id: ID!) { satisfyPrerequisite(id: $id, note: "gasket arrived") { id } }`, { id: gasket }, crew.incoming());
    await call(`mutation($id: ID!) { addPrerequisite(workItemId: $id, input: { kind: PERMIT_VALID, description: "Hot work permit" }) { id } }`, { id: ready }, crew.incoming());
    const condition = (await call(`mutation($i: StandingConditionInput!) { recordStandingCondition(input: $i) { id } }`, { i: { siteId: plant.siteId, areaId, kind: 'TEMPORARY_CHANGE', description: 'Bypass on FV-12' } }, crew.incoming())).recordStandingCondition.id;

    const h = await live(areaId, from);
    expect(h.lastAccepted).toEqual({ id: handed.id });
    expect(h.since).toBe(handed.at);
    const summary = h.changes.map((c: any) => [c.kind, c.number ?? c.conditionId, c.from, c.to, c.prerequisiteKind ?? c.conditionKind, c.description, c.note]);
    expect(summary).toEqual([
      ['TRANSITION', expect.any(String), 'READY', 'IN_PROGRESS', null, null, null],
      ['BLOCKER_CLEARED', blocked.number, null, null, 'MATERIAL', 'gasket', null],
      ['TRANSITION', blocked.number, 'OPEN', 'READY', null, null, 'all prerequisites satisfied'],
      ['BLOCKER_RAISED', expect.any(String), null, null, 'PERMIT_VALID', 'Hot work permit', null],
      ['CONDITION_RECORDED', condition, null, null, 'TEMPORARY_CHANGE', 'Bypass on FV-12', null],
    ]);
    expect(h.changes[0]).toMatchObject({ workItemId: ready, workItem: { id: ready }, actor: { id: crew.incoming().id } });
    expect(h.changes[4].actor).toEqual({ id: crew.incoming().id });
  });
});

describe('standing conditions carry forward until cleared', () => {
  test('recorded conditions, flagged notes and holds stand in every following handover; clearing ends them', async () => {
    const areaId = await newArea();
    const from = iso(-1000);
    const held = (await newItem(areaId, { title: 'Held for the crane' })).id;
    await act('holdWork', held);
    const flagged = await note(areaId, 'A', 'PSV-3 gagged for the test, ungag before start-up', { attentionNextShift: true });
    await note(areaId, 'A', 'routine note');
    const oos = (await call(`mutation($i: StandingConditionInput!) { recordStandingCondition(input: $i) { id kind raisedBy { id } area { id } asset { id } } }`, {
      i: { siteId: plant.siteId, areaId, kind: 'EQUIPMENT_OUT_OF_SERVICE', description: 'Compressor K-2 out of service' },
    }, crew.outgoing())).recordStandingCondition;
    expect(oos).toMatchObject({ kind: 'EQUIPMENT_OUT_OF_SERVICE', raisedBy: { id: crew.outgoing().id }, area: { id: areaId }, asset: null });
    const siteWide = (await call(`mutation($i: StandingConditionInput!) { recordStandingCondition(input: $i) { id } }`, {
      i: { siteId: plant.siteId, kind: 'OPEN_PERMIT', description: 'Site-wide hot work permit HW-9 open' },
    }, crew.supervisor())).recordStandingCondition.id;
    const standing = (h: any) => h.standingConditions.map((c: any) => [c.kind, c.id]).sort();
    const all = [['EQUIPMENT_OUT_OF_SERVICE', oos.id], ['FLAGGED_NOTE', flagged], ['OPEN_PERMIT', siteWide], ['WORK_ON_HOLD', held]].sort();

    // Shift A hands over, B accepts; B's handover hours later (another shift, another window) still carries them.
    const first = ok(await start({ areaId, from, incoming: { personId: crew.incoming().id, shift: 'B' } })).startHandover;
    expect(first.picture.standingConditions.map((c: any) => [c.kind, c.id]).sort()).toEqual(all);
    ok(await accept(first.id, crew.incoming()));
    await pause();
    const later = await live(areaId, iso(-10), 'B', crew.incoming());
    expect(standing(later)).toEqual(all);
    expect(later.notes).toEqual([]);
    const second = ok(await start({ areaId, shift: 'B', incoming: { personId: crew.outgoing().id } }, crew.incoming())).startHandover;
    expect(second.picture.standingConditions.map((c: any) => [c.kind, c.id]).sort()).toEqual(all);
    ok(await accept(second.id, crew.outgoing()));
    await pause();

    // Cleared once, with a note; a hold is cleared by resuming the work, not here.
    const CLEAR = `mutation($id: ID!, $n: String!) { clearStandingCondition(id: $id, note: $n) { id kind clearedBy { id } clearedAt clearNote } }`;
    expect((await call(CLEAR, { id: oos.id, n: 'K-2 back in service' }, crew.incoming())).clearStandingCondition).toMatchObject({ id: oos.id, clearedBy: { id: crew.incoming().id }, clearNote: 'K-2 back in service' });
    expect((await call(CLEAR, { id: flagged, n: 'PSV-3 ungagged' }, crew.supervisor())).clearStandingCondition).toMatchObject({ kind: 'FLAGGED_NOTE', clearedBy: { id: crew.supervisor().id } });
    expectError(await gateway.query(CLEAR, { id: oos.id, n: 'again' }, crew.supervisor()), 'ILLEGAL_TRANSITION');
    expectError(await gateway.query(CLEAR, { id: held, n: 'x' }, crew.supervisor()), 'BAD_USER_INPUT');
    expectError(await gateway.query(CLEAR, { id: randomUUID(), n: 'x' }, crew.supervisor()), 'NOT_FOUND');
    expectError(await gateway.query(CLEAR, { id: siteWide, n: 'x' }, crew.verifier()), 'FORBIDDEN');
    await act('resumeWork', held);

    const after = await live(areaId, iso(-10), 'A');
    expect(standing(after)).toEqual([['OPEN_PERMIT', siteWide]]);
    expect(after.since).toBe((await record(second.id)).at);
    expect(after.changes.filter((c: any) => c.kind === 'CONDITION_CLEARED').map((c: any) => [c.conditionId, c.conditionKind, c.note])).toEqual([
      [oos.id, 'EQUIPMENT_OUT_OF_SERVICE', 'K-2 back in service'],
      [flagged, 'FLAGGED_NOTE', 'PSV-3 ungagged'],
    ]);
    // The accepted pictures keep what stood then.
    expect((await record(first.id)).picture.standingConditions).toHaveLength(4);
    // Recorded conditions and clearances are only ever added to.
    await expect(work.db.query(`UPDATE recorded_condition SET description = 'x' WHERE id = $1`, [oos.id])).rejects.toThrow(/insert-only/);
    await expect(work.db.query(`DELETE FROM condition_clearance WHERE subject_id = $1`, [oos.id])).rejects.toThrow(/insert-only/);
  });

  test('bad input writes nothing', async () => {
    const count = async () => (await work.db.query(`SELECT count(*)::int AS n FROM recorded_condition`))[0].n;
    const before = await count();
    const RECORD_CONDITION = `mutation($i: StandingConditionInput!) { recordStandingCondition(input: $i) { id } }`;
    expectError(await gateway.query(RECORD_CONDITION, { i: { siteId: plant.siteId, kind: 'WORK_ON_HOLD', description: 'x' } }, crew.supervisor()), 'BAD_USER_INPUT');
    expectError(await gateway.query(RECORD_CONDITION, { i: { siteId: plant.siteId, kind: 'OTHER', description: '' } }, crew.supervisor()), 'BAD_USER_INPUT');
    expectError(await gateway.query(RECORD_CONDITION, { i: { siteId: plant.siteId, kind: 'OTHER', description: 'x', workItemIds: [randomUUID()] } }, crew.supervisor()), 'BAD_USER_INPUT');
    expectError(await gateway.query(RECORD_CONDITION, { i: { siteId: plant.siteId, areaId: other.areaId, kind: 'OTHER', description: 'x' } }, crew.supervisor()), 'NOT_FOUND');
    expectError(await gateway.query(RECORD_CONDITION, { i: { siteId: plant.siteId, kind: 'OTHER', description: 'x' } }, crew.acme()), 'FORBIDDEN');
    expect(await count()).toBe(before);
  });
});

describe('a contractor\'s handover', () => {
  test('only their company\'s jobs, and the notes and conditions about them; no stored pictures', async () => {
    const areaId = await newArea();
    const from = iso(-1000);
    const acmeJob = (await newItem(areaId, { type: 'CONTRACTOR_JOB', title: 'Scaffold', contractorCompany: 'Acme' })).id;
    const otherJob = (await newItem(areaId, { type: 'CONTRACTOR_JOB', title: 'Insulation', contractorCompany: 'Other Co' })).id;
    const siteJob = (await newItem(areaId, { title: 'Seal' })).id;
    for (const id of [acmeJob, otherJob, siteJob]) await act('holdWork', id, crew.supervisor());
    const RECORD_CONDITION = `mutation($i: StandingConditionInput!) { recordStandingCondition(input: $i) { id } }`;
    const aboutAcme = (await call(RECORD_CONDITION, { i: { siteId: plant.siteId, areaId, kind: 'DEVIATION', description: 'Scaffold tag missing', workItemIds: [acmeJob] } }, crew.supervisor())).recordStandingCondition.id;
    await call(RECORD_CONDITION, { i: { siteId: plant.siteId, areaId, kind: 'DEVIATION', description: 'General', workItemIds: [] } }, crew.supervisor());
    await call(RECORD_CONDITION, { i: { siteId: plant.siteId, areaId, kind: 'DEVIATION', description: 'Other Co', workItemIds: [otherJob] } }, crew.supervisor());
    const started = ok(await start({ areaId, from })).startHandover;
    ok(await accept(started.id, crew.supervisor()));

    const h = await live(areaId, from, 'A', crew.acme());
    expect([...placements(h).keys()]).toEqual([acmeJob]);
    expect(h.standingConditions.map((c: any) => c.id).sort()).toEqual([aboutAcme, acmeJob].sort());
    expect(new Set(h.changes.map((c: any) => c.workItemId))).toEqual(new Set([acmeJob, null]));
    expect(h.changes.filter((c: any) => c.kind === 'CONDITION_RECORDED').map((c: any) => c.conditionId)).toEqual([aboutAcme]);
    expect(h.lastAccepted).toBeNull();
    // The site's people see all of it.
    expect(placements(await live(areaId, from)).size).toBe(3);

    expect((await call(`query($s: ID!) { handovers(siteId: $s) { id } }`, { s: plant.siteId }, crew.acme())).handovers).toEqual([]);
    const theirs = expectError(await gateway.query(`query($id: ID!) { handoverRecord(id: $id) { id } }`, { id: started.id }, crew.acme()), 'NOT_FOUND');
    expect(theirs.message).not.toMatch(/Scaffold|Insulation/);
    const status = (await call(`query($s: ID!) { handoverStatus(siteId: $s) { area { id } lastAccepted { id } } }`, { s: plant.siteId }, crew.acme())).handoverStatus;
    expect(status.every((s: any) => s.lastAccepted === null)).toBe(true);
  });
});
