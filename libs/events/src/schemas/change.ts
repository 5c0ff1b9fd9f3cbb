import { actorId, dateTime, describe, nullable, object, oneOf, personId, text, uuid, type DomainContracts, type JsonSchema } from './common';
import { workContracts } from './work-contracts';

/**
 * Events on `opsgraph.change.v1` (management of change), keyed by the change request id. What the domain
 * asks of Work follows the generic work contracts, always with the change as `sourceRecordId`:
 *  - `work.requested` per implementation task (request id `change:<changeId>:task:<n>`; before approval it
 *    carries a CHANGE_APPROVED prerequisite), per pre-startup check (type PRE_STARTUP_CHECK, request id
 *    `change:<changeId>:check:<n>[:<attempt>]`, with the confirmations as a checklist to answer), and once
 *    per temporary change past its end date (`change:<changeId>:restore`, "restore or make permanent");
 *  - `prerequisite.required` (kind CHANGE_APPROVED) on other work on an asset in the scope of a submitted
 *    change, `prerequisite.satisfied` when the change is approved (or, for that other work, rejected or
 *    cancelled), and `prerequisite.required` again on its own tasks when it is rejected or cancelled, so
 *    their still-open blocker says the work must not go ahead;
 *  - a pre-startup check that needs a permit carries a PERMIT_VALID prerequisite (source record: the check),
 *    and `prerequisite.satisfied` follows once the change learns (from the permits domain's events, which it
 *    consumes) that an issued permit covers the check's work item.
 * It consumes Work's `work_item.*` events to know which work item answered each request and when it is
 * verified done. Its own facts carry ids, classification, state and scope; free texts (description,
 * reason, risk assessment) stay in the change database.
 */

export const CHANGE_TYPES = ['PERMANENT', 'TEMPORARY', 'EMERGENCY'] as const;
export const CHANGE_STATUSES = ['DRAFT', 'SUBMITTED', 'IN_REVIEW', 'APPROVED', 'IMPLEMENTING', 'PRE_STARTUP_REVIEW', 'STARTUP_AUTHORIZED', 'CLOSED', 'REJECTED', 'CANCELLED'] as const;
export const CHANGE_APPROVER_ROLES = ['OPERATIONS', 'ENGINEERING', 'SAFETY'] as const;
export const CHANGE_RISK_RATINGS = ['LOW', 'MEDIUM', 'HIGH', 'CRITICAL'] as const;

const uuids = (description: string): JsonSchema => describe(description, { type: 'array', maxItems: 100, items: uuid });

const changeFact: Record<string, JsonSchema> = {
  changeId: uuid,
  number: describe('Human number, e.g. MOC-000012.', text(30)),
  changeType: oneOf(CHANGE_TYPES),
  status: describe('Status after the fact.', oneOf(CHANGE_STATUSES)),
  riskRating: oneOf(CHANGE_RISK_RATINGS),
  siteIds: uuids('Sites in scope (at least one).'),
  areaIds: uuids('Areas in scope.'),
  lineIds: uuids('Lines in scope.'),
  assetIds: uuids('Assets in scope: work on them waits for the approval.'),
  documentIds: uuids('Documents the change affects.'),
  endDate: describe('End of a temporary change.', nullable(dateTime)),
};
const changeRequired = Object.keys(changeFact);

const fact = (type: string, summary: string, extra: Record<string, JsonSchema>, required: string[] = Object.keys(extra)) => ({
  type,
  version: 1,
  summary,
  schema: object({ ...changeFact, ...extra }, [...changeRequired, ...required]),
});

export const change: DomainContracts = [
  ...workContracts,
  fact('change_request.created', 'A change was drafted (DRAFT) by its requester (`actorId`).', {
    actorId: personId('Who asked for the change (the requester).'),
    ownerId: personId('Who is responsible for carrying it out.'),
    requiredApproverRoles: describe('Roles that must each approve.', { type: 'array', minItems: 1, items: oneOf(CHANGE_APPROVER_ROLES) }),
  }),
  fact(
    'change_request.status_changed',
    'The change moved along its lifecycle (DRAFT → SUBMITTED → IN_REVIEW → APPROVED → IMPLEMENTING → PRE_STARTUP_REVIEW → STARTUP_AUTHORIZED → CLOSED, or REJECTED / CANCELLED).',
    { from: oneOf(CHANGE_STATUSES), actorId, note: describe('Why, when given (a rejection comment, a cancel reason).', nullable(text(4000))) },
  ),
  fact('change_request.approval_recorded', 'One required role decided. All roles approved → a status_changed to APPROVED follows; a rejection → REJECTED.', {
    role: oneOf(CHANGE_APPROVER_ROLES),
    decision: oneOf(['APPROVED', 'REJECTED']),
    actorId: personId('Who decided for the role.'),
  }),
  fact(
    'change_request.startup_authorized',
    'Every pre-startup check verified done, an accountable person (`actorId`, never the change\'s requester or owner) authorized start-up: production in the change\'s scope may resume. A status_changed to STARTUP_AUTHORIZED comes with it; closing the change is a later step.',
    {
      actorId: personId('Who authorized start-up.'),
      authorizedAt: dateTime,
      verifiedChecks: describe(
        'The evidence the authorization rests on: each pre-startup check, the work item that verified it, when and by whom.',
        {
          type: 'array',
          minItems: 1,
          maxItems: 100,
          items: object(
            {
              checkId: uuid,
              title: text(300),
              workItemId: uuid,
              workItemNumber: text(40),
              verifiedAt: nullable(dateTime),
              verifierId: personId('Who verified the check\'s work item in Work.', nullable(uuid)),
            },
            ['checkId', 'title', 'workItemId', 'workItemNumber', 'verifiedAt', 'verifierId'],
          ),
        },
      ),
    },
  ),
  fact('change_request.temporary_expired', 'A temporary change in place passed its end date; the "restore or make permanent" work was requested (once).', {
    actorId,
    restoreRequestId: describe('Request id of the restore action.', text(200)),
  }),
];
