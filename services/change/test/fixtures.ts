import { randomUUID } from 'node:crypto';
import { knowPlaces, ok, people, person, startTestService, type TestService, recordedEvents } from '@opsgraph/testing';
import { service } from '../src/service';

export const CHANGE_FIELDS = `
  id number title type status reason riskRating endDate temporaryExpired endReason
  scope { sites { id } areas { id } lines { id } assets { id } documents { id } }
  requester { id } owner { id }
  requiredApproverRoles pendingApproverRoles
  approvals { role decision comment approver { id } }
  tasks { id title workType workStatus workItem { id } asset { id } }
  preStartupChecks { id title whatChanged permitRequired confirmations workStatus done workItem { id } raisedAt }
  history { from to actor { id } note }
  submittedAt approvedAt closedAt
`;

/** Who acts in change tests: each approval role is held by a different person. */
export const crew = {
  ...people,
  hse: person('00000000-0000-4000-8000-0000000000c1', 'hse'),
  engineer: person('00000000-0000-4000-8000-0000000000c2', 'verifier'),
  supervisor2: person('00000000-0000-4000-8000-0000000000c3', 'supervisor'),
  reader: person('00000000-0000-4000-8000-0000000000c4', 'read_only'),
};

export interface Places {
  siteId: string;
  areaId: string;
  lineId: string;
  assetId: string;
}
export const newPlaces = (): Places => ({ siteId: randomUUID(), areaId: randomUUID(), lineId: randomUUID(), assetId: randomUUID() });

/** New places (the line in the area, the asset on the line), written into change's copy of Work's registry as Work's events would. */
export async function knownPlaces(svc: TestService): Promise<Places> {
  const places = newPlaces();
  await knowPlaces(svc.db, places);
  return places;
}

export const startChange = () => startTestService(service);

export const check = (title: string, input: Record<string, unknown> = {}) => ({
  title,
  whatChanged: 'Filler infeed valve replaced by a fail-closed type',
  permitRequired: false,
  confirmations: ['Guards refitted?', 'Valve fails closed on air loss?'],
  ...input,
});

export function changeInput(places: Places, input: Record<string, unknown> = {}) {
  return {
    title: 'Replace filler infeed valve on line 3',
    description: 'Swap the manual infeed valve for a fail-closed actuated valve',
    type: 'PERMANENT',
    reason: 'Two spills last quarter when the manual valve was left open',
    siteIds: [places.siteId],
    lineIds: [places.lineId],
    assetIds: [places.assetId],
    riskAssessment: 'Line breaking on product line; isolate and drain first',
    riskRating: 'MEDIUM',
    requiredApproverRoles: ['OPERATIONS', 'ENGINEERING', 'SAFETY'],
    ...input,
  };
}

export async function createChange(svc: TestService, places: Places, input: Record<string, unknown> = {}, caller = crew.technician) {
  return ok(await svc.query(`mutation($i: CreateChangeRequestInput!) { createChangeRequest(input: $i) { ${CHANGE_FIELDS} } }`, { i: changeInput(places, input) }, caller)).createChangeRequest;
}

/** Runs a lifecycle mutation taking only the change id (plus optional args) and returns the result. */
export function act(svc: TestService, mutation: string, args: Record<string, unknown>, caller = crew.technician) {
  const types: Record<string, string> = { id: 'ID!', role: 'ChangeApproverRole!', comment: 'String', reason: 'String!', note: 'String' };
  const decl = Object.keys(args).map((k) => `$${k}: ${mutation === 'rejectChangeRequest' && k === 'comment' ? 'String!' : types[k]}`).join(', ');
  const params = Object.keys(args).map((k) => `${k}: $${k}`).join(', ');
  return svc.query(`mutation(${decl}) { ${mutation}(${params}) { ${CHANGE_FIELDS} } }`, args, caller);
}

/** Submits, reviews and approves for every required role with a different person each. */
export async function approve(svc: TestService, id: string, requester = crew.technician) {
  ok(await act(svc, 'submitChangeRequest', { id }, requester));
  ok(await act(svc, 'startChangeReview', { id }, crew.supervisor));
  ok(await act(svc, 'approveChangeRequest', { id, role: 'OPERATIONS' }, crew.supervisor));
  ok(await act(svc, 'approveChangeRequest', { id, role: 'ENGINEERING' }, crew.engineer));
  return ok(await act(svc, 'approveChangeRequest', { id, role: 'SAFETY', comment: 'isolation plan checked' }, crew.hse)).approveChangeRequest;
}

/** The events the change service recorded for a change, oldest first. */
export const eventsOf = (svc: TestService, subject: string, type?: string) => recordedEvents(svc, subject, type);
