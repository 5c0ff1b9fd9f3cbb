import { createHash } from 'node:crypto';
import type { SeedDemo } from '@opsgraph/testing';

const sha256 = (content: string) => `sha256:${createHash('sha256').update(content).digest('hex')}`;

/**
 * Controlled documents on the demo plant:
 *  - SOP-MECH-014 (seal replacement, maintenance on P-301): revision A APPROVED, so Tom's P-301 seal job
 *    shows a "read and understood" blocker until he acknowledges it; revision B is IN_REVIEW (pending).
 *  - WI-PACK-003 (filler CIP, cleaning in the packaging hall): revision 1 APPROVED and acknowledged by
 *    Olga, whose CIP job is in progress, so it is applicable and clear.
 *  - SDS-NAOH-02 (caustic soda safety data sheet, the whole site): revision 1 IN_REVIEW, nothing in force yet.
 */
export const seedDemo: SeedDemo = async ({ query, people, plant, eventually, whenKnown, log }) => {
  const register = async (input: Record<string, unknown>) =>
    (await whenKnown(() => query(`mutation($i: RegisterDocumentInput!) { registerDocument(input: $i) { id number } }`, { i: { siteId: plant.siteId, ownerId: people.supervisor.id, ...input } }, people.supervisor))).registerDocument;
  const draft = async (documentId: string, label: string, changeSummary: string) =>
    (await query(`mutation($i: DraftDocumentRevisionInput!) { draftDocumentRevision(input: $i) { id } }`, {
      i: { documentId, label, changeSummary, contentRef: `dms://opsgraph-demo/${documentId}/${label}.pdf`, checksum: sha256(`${documentId}:${label}`) },
    }, people.supervisor)).draftDocumentRevision.id as string;
  const step = (mutation: string, id: string, caller = people.supervisor) => query(`mutation($id: ID!) { ${mutation}(id: $id) { id } }`, { id }, caller);

  const sop = await register({
    number: 'SOP-MECH-014',
    title: 'Mechanical seal replacement on centrifugal pumps',
    type: 'PROCEDURE',
    applicability: { assetIds: [plant.assets.pump], workTypes: ['MAINTENANCE'] },
    reviewIntervalDays: 730,
  });
  const sopA = await draft(sop.id, 'A', 'First issue');
  await step('submitDocumentRevision', sopA);
  await step('approveDocumentRevision', sopA, people.hse); // never by its author
  const sopB = await draft(sop.id, 'B', 'Torque values for the new seal cartridge');
  await step('submitDocumentRevision', sopB);

  const cip = await register({ number: 'WI-PACK-003', title: 'CIP of the Line 3 filler', type: 'WORK_INSTRUCTION', applicability: { areaIds: [plant.areas.packaging], workTypes: ['CLEANING'] } });
  const cip1 = await draft(cip.id, '1', 'First issue');
  await step('submitDocumentRevision', cip1);
  await step('approveDocumentRevision', cip1, people.hse);

  const sds = await register({ number: 'SDS-NAOH-02', title: 'Caustic soda solution 2% (CIP)', type: 'SAFETY_DATA_SHEET', ownerId: people.hse.id, applicability: { siteIds: [plant.siteId] } });
  await step('submitDocumentRevision', await draft(sds.id, '1', 'Supplier revision 2024-03'), people.hse);

  const blockersOf = async (id: string) =>
    (await query(`query($id: ID!) { workItem(id: $id) { blockers { kind sourceRecordId } } }`, { id })).workItem.blockers.filter((b: { kind: string }) => b.kind === 'DOCUMENT_ACKNOWLEDGED');
  await eventually(async () => (await blockersOf(plant.workItems.sealReplacement)).length > 0 && (await blockersOf(plant.workItems.fillerClean)).length > 0);
  await query(`mutation($id: ID!) { acknowledgeDocumentRevision(revisionId: $id) { id } }`, { id: cip1 }, people.operator);
  await eventually(async () => (await blockersOf(plant.workItems.fillerClean)).length === 0);
  log(`documents: ${sop.number} rev A in force (P-301 seal job waits for Tom's acknowledgement), rev B IN_REVIEW; ${cip.number} acknowledged by Olga; ${sds.number} rev 1 IN_REVIEW`);
};
