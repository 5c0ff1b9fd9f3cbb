import { expectError, ok, type TestService } from '@opsgraph/testing';
import { reviewTemporaryChanges } from '../src/domain/changes';
import { ChangeRequest } from '../src/entities';
import { CHANGE_FIELDS, act, approve, changeInput, check, createChange, crew, eventsOf, knownPlaces, newPlaces, startChange, type Places } from './fixtures';

let change: TestService;
let places: Places;

beforeAll(async () => {
  change = await startChange();
  places = await knownPlaces(change);
});
afterAll(() => change.stop());

const countChanges = () => change.db.getRepository(ChangeRequest).count();
const status = async (id: string) => ok(await change.query(`query($id: ID!) { changeRequest(id: $id) { status version: updatedAt history { to } } }`, { id })).changeRequest;

describe('change request: creation', () => {
  test('bad input is refused and nothing is stored', async () => {
    const before = await countChanges();
    const create = (input: Record<string, unknown>, caller = crew.technician) =>
      change.query(`mutation($i: CreateChangeRequestInput!) { createChangeRequest(input: $i) { id } }`, { i: changeInput(places, input) }, caller);
    expectError(await create({ type: 'TEMPORARY' }), 'BAD_USER_INPUT'); // no end date
    expectError(await create({ endDate: new Date(Date.now() + 86_400_000).toISOString() }), 'BAD_USER_INPUT'); // end date on a permanent change
    expectError(await create({ type: 'TEMPORARY', endDate: new Date(Date.now() - 1000).toISOString() }), 'BAD_USER_INPUT');
    expectError(await create({ requiredApproverRoles: [] }), 'BAD_USER_INPUT');
    expectError(await create({ siteIds: [] }), 'BAD_USER_INPUT');
    expectError(await create({ tasks: [{ title: 'Fit valve', assetId: newPlaces().assetId }] }), 'BAD_USER_INPUT'); // asset outside the scope
    expectError(await create({ preStartupChecks: [check('Inspect', { confirmations: [] })] }), 'BAD_USER_INPUT');
    expectError(await create({}, crew.reader), 'FORBIDDEN');
    expectError(await create({}, { ...crew.technician, sites: [newPlaces().siteId] }), 'NOT_FOUND'); // not their site: as a random site id
    expect(await countChanges()).toBe(before);
  });

  test('a draft gets a number, the requester as owner, and its tasks raised at once behind the approval', async () => {
    const created = await createChange(change, places, { tasks: [{ title: 'Fit fail-closed valve', assetId: places.assetId, workType: 'MAINTENANCE' }], preStartupChecks: [check('Inspect line 3 before restart')] });
    expect(created).toMatchObject({ status: 'DRAFT', type: 'PERMANENT', requester: { id: crew.technician.id }, owner: { id: crew.technician.id }, pendingApproverRoles: ['OPERATIONS', 'ENGINEERING', 'SAFETY'] });
    expect(created.number).toMatch(/^MOC-\d{6}$/);
    expect(created.tasks).toEqual([expect.objectContaining({ title: 'Fit fail-closed valve', workStatus: 'REQUESTED', workItem: null })]);
    // Checks wait for the pre-startup review; tasks go to Work now, blocked until the change is approved.
    expect(created.preStartupChecks[0]).toMatchObject({ workStatus: 'REQUESTED', raisedAt: null });
    const [request] = await eventsOf(change, created.id, 'work.requested');
    expect(request.data).toMatchObject({
      requestId: `change:${created.id}:task:1`,
      type: 'MAINTENANCE',
      sourceRecordId: created.id,
      assetId: places.assetId,
      prerequisites: [expect.objectContaining({ kind: 'CHANGE_APPROVED', sourceRecordId: created.id })],
    });
    expect((await eventsOf(change, created.id, 'change_request.created'))[0].data).toMatchObject({ changeId: created.id, status: 'DRAFT', actorId: crew.technician.id, ownerId: crew.technician.id });
  });
});

describe('change request: lifecycle and approvals', () => {
  test('DRAFT → SUBMITTED → IN_REVIEW → APPROVED when every required role approved, each by another person', async () => {
    const created = await createChange(change, places);
    expectError(await act(change, 'submitChangeRequest', { id: created.id }, crew.operator), 'FORBIDDEN'); // not requester or owner
    expectError(await act(change, 'startChangeReview', { id: created.id }, crew.supervisor), 'ILLEGAL_TRANSITION'); // still a draft
    ok(await act(change, 'submitChangeRequest', { id: created.id }));
    expectError(await act(change, 'approveChangeRequest', { id: created.id, role: 'OPERATIONS' }, crew.supervisor), 'ILLEGAL_TRANSITION'); // not in review yet
    expectError(await act(change, 'startChangeReview', { id: created.id }, crew.technician), 'FORBIDDEN');
    ok(await act(change, 'startChangeReview', { id: created.id }, crew.supervisor));
    expectError(await act(change, 'approveChangeRequest', { id: created.id, role: 'SAFETY' }, crew.supervisor), 'FORBIDDEN'); // safety is HSE's
    const ops = ok(await act(change, 'approveChangeRequest', { id: created.id, role: 'OPERATIONS' }, crew.supervisor)).approveChangeRequest;
    expect(ops).toMatchObject({ status: 'IN_REVIEW', pendingApproverRoles: ['ENGINEERING', 'SAFETY'] });
    expectError(await act(change, 'approveChangeRequest', { id: created.id, role: 'OPERATIONS' }, crew.supervisor2), 'CONFLICT'); // already decided
    expectError(await act(change, 'approveChangeRequest', { id: created.id, role: 'ENGINEERING' }, crew.supervisor), 'SEPARATION_OF_DUTIES'); // one role per person
    ok(await act(change, 'approveChangeRequest', { id: created.id, role: 'ENGINEERING' }, crew.engineer));
    const approved = ok(await act(change, 'approveChangeRequest', { id: created.id, role: 'SAFETY', comment: 'ok' }, crew.hse)).approveChangeRequest;
    expect(approved).toMatchObject({ status: 'APPROVED', pendingApproverRoles: [] });
    expect(approved.approvedAt).toBeTruthy();
    expect(approved.history.map((h: { to: string }) => h.to)).toEqual(['DRAFT', 'SUBMITTED', 'IN_REVIEW', 'APPROVED']);
    expect(approved.approvals.map((a: { role: string; approver: { id: string } }) => [a.role, a.approver.id])).toEqual([
      ['OPERATIONS', crew.supervisor.id],
      ['ENGINEERING', crew.engineer.id],
      ['SAFETY', crew.hse.id],
    ]);
    // Approval clears every "change approved" blocker the change raised.
    expect((await eventsOf(change, created.id, 'prerequisite.satisfied')).map((e) => e.data)).toEqual([expect.objectContaining({ sourceRecordId: created.id, kind: 'CHANGE_APPROVED' })]);
  });

  test('a role not required is refused, and the requester cannot be the only approver', async () => {
    const created = await createChange(change, places, { requiredApproverRoles: ['OPERATIONS'] }, crew.supervisor);
    ok(await act(change, 'submitChangeRequest', { id: created.id }, crew.supervisor));
    ok(await act(change, 'startChangeReview', { id: created.id }, crew.supervisor2));
    expectError(await act(change, 'approveChangeRequest', { id: created.id, role: 'SAFETY' }, crew.hse), 'BAD_USER_INPUT');
    const before = await status(created.id);
    expectError(await act(change, 'approveChangeRequest', { id: created.id, role: 'OPERATIONS' }, crew.supervisor), 'SEPARATION_OF_DUTIES');
    expect(await status(created.id)).toEqual(before);
    expect(ok(await act(change, 'approveChangeRequest', { id: created.id, role: 'OPERATIONS' }, crew.supervisor2)).approveChangeRequest.status).toBe('APPROVED');
  });

  test('one rejection, with a reason, rejects; a rejected change moves no further', async () => {
    const created = await createChange(change, places);
    ok(await act(change, 'submitChangeRequest', { id: created.id }));
    ok(await act(change, 'startChangeReview', { id: created.id }, crew.supervisor));
    ok(await act(change, 'approveChangeRequest', { id: created.id, role: 'OPERATIONS' }, crew.supervisor));
    expectError(await change.query(`mutation($id: ID!) { rejectChangeRequest(id: $id, role: SAFETY, comment: "  ") { id } }`, { id: created.id }, crew.hse), 'BAD_USER_INPUT');
    const rejected = ok(await act(change, 'rejectChangeRequest', { id: created.id, role: 'SAFETY', comment: 'No drain point for the line break' }, crew.hse)).rejectChangeRequest;
    expect(rejected).toMatchObject({ status: 'REJECTED', endReason: 'SAFETY rejected: No drain point for the line break' });
    expectError(await act(change, 'approveChangeRequest', { id: created.id, role: 'ENGINEERING' }, crew.engineer), 'ILLEGAL_TRANSITION');
    expectError(await act(change, 'startChangeImplementation', { id: created.id }), 'ILLEGAL_TRANSITION');
    expectError(await act(change, 'cancelChangeRequest', { id: created.id, reason: 'late' }), 'ILLEGAL_TRANSITION');
  });

  test('implementation and pre-startup review: refused without checks or with open tasks; closing needs every check verified', async () => {
    const bare = await createChange(change, places);
    await approve(change, bare.id);
    expectError(await act(change, 'startPreStartupReview', { id: bare.id }), 'ILLEGAL_TRANSITION'); // not implementing yet
    expectError(await act(change, 'startChangeImplementation', { id: bare.id }, crew.operator), 'FORBIDDEN');
    ok(await act(change, 'startChangeImplementation', { id: bare.id }));
    expectError(await act(change, 'cancelChangeRequest', { id: bare.id, reason: 'changed our mind' }), 'ILLEGAL_TRANSITION'); // the plant is being changed
    expectError(await act(change, 'startPreStartupReview', { id: bare.id }), 'ILLEGAL_TRANSITION'); // no checks

    const withWork = await createChange(change, places, { tasks: [{ title: 'Fit valve', assetId: places.assetId }], preStartupChecks: [check('Inspect line 3'), check('Leak test', { permitRequired: true, permitNote: 'line breaking' })] });
    await approve(change, withWork.id);
    ok(await act(change, 'startChangeImplementation', { id: withWork.id }));
    const open = expectError(await act(change, 'startPreStartupReview', { id: withWork.id }), 'PREREQUISITES_OPEN');
    expect(open.extensions?.tasks).toEqual([expect.objectContaining({ title: 'Fit valve', workStatus: 'REQUESTED' })]);
    expect((await status(withWork.id)).status).toBe('IMPLEMENTING');
  });

  test('a check added during the review is raised at once; closing is refused while checks are not verified', async () => {
    const created = await createChange(change, places, { preStartupChecks: [check('Inspect line 3 before restart', { documentIds: [places.assetId] })] });
    await approve(change, created.id);
    ok(await act(change, 'startChangeImplementation', { id: created.id }));
    const review = ok(await act(change, 'startPreStartupReview', { id: created.id })).startPreStartupReview;
    expect(review.status).toBe('PRE_STARTUP_REVIEW');
    expect(review.preStartupChecks[0].raisedAt).toBeTruthy();
    const added = ok(await change.query(`mutation($c: ID!, $i: PreStartupCheckInput!) { addPreStartupCheck(changeId: $c, input: $i) { id raisedAt workStatus } }`, { c: created.id, i: check('Confirm interlock', { lineId: places.lineId }) })).addPreStartupCheck;
    expect(added).toMatchObject({ workStatus: 'REQUESTED' });
    expect(added.raisedAt).toBeTruthy();
    const requests = (await eventsOf(change, created.id, 'work.requested')).map((e) => e.data as Record<string, any>);
    expect(requests.map((r) => [r.type, r.requestId])).toEqual([
      ['PRE_STARTUP_CHECK', `change:${created.id}:check:1`],
      ['PRE_STARTUP_CHECK', `change:${created.id}:check:2`],
    ]);
    // What changed, who asked, which document, whether a permit is needed, what to confirm before restart.
    expect(requests[0].description).toContain('What changed: Filler infeed valve replaced by a fail-closed type');
    // No raw ids in the text: the people and documents are the work item's links.
    expect(requests[0].description).toContain("Who asked: the change's requester (linked on this work item), because: Two spills");
    expect(requests[0].description).toContain('Documents: 1 document(s), linked on this work item');
    expect(requests[0].description).not.toMatch(/[0-9a-f]{8}-[0-9a-f]{4}-/);
    expect(requests[0].description).toContain('Permit needed: no');
    expect(requests[0].prerequisites).toEqual([]);
    expect(requests[0].requiredOutcome.evidence[0]).toEqual(expect.objectContaining({ kind: 'CHECKLIST', questions: ['Guards refitted?', 'Valve fails closed on air loss?'] }));
    expect(requests[0].links).toEqual([
      { domain: 'COMPETENCE', recordId: crew.technician.id, relation: 'requested the change' },
      { domain: 'DOCUMENTS', recordId: places.assetId, relation: 'checked against' },
    ]);
    const refused = expectError(await act(change, 'closeChangeRequest', { id: created.id }), 'PREREQUISITES_OPEN');
    expect(refused.extensions?.checks).toHaveLength(2);
    // The change's copy of Work lags: a refusal never states a status as current (none reported yet here).
    expect(refused.message).toContain('"Inspect line 3 before restart" (no work item reported by Work yet)');
    expectError(await change.query(`mutation($id: ID!) { reraisePreStartupCheck(id: $id, reason: "again") { id } }`, { id: added.id }), 'ILLEGAL_TRANSITION'); // not cancelled
    expect((await status(created.id)).status).toBe('PRE_STARTUP_REVIEW');
  });

  test('cancel before implementation, with a reason; an unknown change is not found', async () => {
    const created = await createChange(change, places);
    ok(await act(change, 'submitChangeRequest', { id: created.id }));
    const cancelled = ok(await act(change, 'cancelChangeRequest', { id: created.id, reason: 'Superseded by MOC for the whole line' })).cancelChangeRequest;
    expect(cancelled).toMatchObject({ status: 'CANCELLED', endReason: 'Superseded by MOC for the whole line' });
    expectError(await act(change, 'submitChangeRequest', { id: '00000000-0000-4000-8000-00000000ffff' }), 'NOT_FOUND');
    expectError(await act(change, 'submitChangeRequest', { id: 'nope' }), 'BAD_USER_INPUT');
    // A change at a site the caller does not work at is not found, not forbidden.
    expectError(await change.query(`query($id: ID!) { changeRequest(id: $id) { id } }`, { id: created.id }, { ...crew.supervisor, sites: [newPlaces().siteId] }), 'NOT_FOUND');
  });
});

describe('temporary changes', () => {
  test('past its end date a temporary change in place raises one "restore or make permanent" action', async () => {
    const endDate = new Date(Date.now() + 7 * 86_400_000);
    const created = await createChange(change, places, { type: 'TEMPORARY', endDate: endDate.toISOString(), preStartupChecks: [check('Inspect bypass')] });
    await approve(change, created.id);
    ok(await act(change, 'startChangeImplementation', { id: created.id }));
    expect(await reviewTemporaryChanges(change.db.manager, new Date(endDate.getTime() - 1000))).toEqual([]);
    const later = new Date(endDate.getTime() + 3600_000);
    const raised = await reviewTemporaryChanges(change.db.manager, later);
    expect(raised.map((c) => c.id)).toContain(created.id);
    expect(await reviewTemporaryChanges(change.db.manager, new Date(later.getTime() + 86_400_000))).toEqual([]); // once
    const [restore] = (await eventsOf(change, created.id, 'work.requested')).filter((e) => (e.data as { requestId: string }).requestId === `change:${created.id}:restore`);
    expect(restore.data).toMatchObject({ title: 'Restore or make permanent: Replace filler infeed valve on line 3', ownerId: crew.technician.id, sourceRecordId: created.id, assetId: places.assetId, priority: 'HIGH' });
    expect(await eventsOf(change, created.id, 'change_request.temporary_expired')).toHaveLength(1);
    const view = ok(await change.query(`query($id: ID!) { changeRequest(id: $id) { ${CHANGE_FIELDS} } }`, { id: created.id })).changeRequest;
    expect(view.temporaryExpired).toBe(false); // the real clock is before the end date
  });
});
