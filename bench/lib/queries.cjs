/**
 * The operations the benchmark sends, shared by the runner, the load processes and the no-federation
 * baseline (which serves the same BOARD document, so the same text runs against every server).
 */

/** The operations board of one area: per open item its owner, blockers from every domain and verification state. */
const BOARD = /* GraphQL */ `
query BenchBoard($siteId: ID!, $areaId: ID, $first: Int) {
  board(siteId: $siteId, areaId: $areaId, first: $first) {
    counts { status count }
    blockedCount
    awaitingVerificationCount
    items {
      id number title type status priority blocked overdue dueAt
      asset { id code assetClass }
      owner { id name }
      blockers { id kind description sourceDomain sourceRecordId reason }
      completedAt verifiedAt verifiedBy { id name }
      permitReadiness { required valid ready problems }
      requiredQualifications { code }
      ownerQualified { qualified missing { code } }
      documents { id label document { number title } }
      hazards { hazard { title } controls { kind state } }
      change { id number status }
      complianceRequirements { id reference title }
      complianceChecks { status }
    }
  }
}`;

/** One work item with everything about it, from every domain. */
const WORK_ITEM = /* GraphQL */ `
query BenchWorkItem($id: ID!) {
  workItem(id: $id) {
    id number type title description status priority blocked overdue dueAt version createdAt updatedAt
    site { id code name } area { id code name } line { id code }
    asset { id code name assetClass activeIsolations { id point state } documents { id number title } }
    owner { id name company competenceRecords { status expiresAt qualification { code } } pendingAcknowledgements { id state } }
    performer { id name } verifiedBy { id name } verifiedAt completedAt holdReason
    source { domain recordId reason }
    requiredOutcome { acceptanceCriteria evidence { kind label unit min max questions } }
    links { domain recordId relation }
    prerequisites { id kind state description sourceDomain sourceRecordId reason waivedReason resolvedAt }
    evidence { kind label value unit url submittedBy { id name } submittedAt }
    history { from to actor { id name } at note }
    permits { id number type status valid validFrom validTo precautions isolations { point method state } gasTests { withinLimits testedAt expired } }
    permitReadiness { required valid ready problems }
    requiredQualifications { code name }
    ownerQualified { qualified missing { code name } }
    documents { id label status current document { id number title type } }
    hazards { hazard { title risk { band } residualRisk { band } } controls { kind description state confirmedAt } }
    riskAssessment { residualBand controlsInPlace assessedBy { id name } }
    change { id number title status riskRating pendingApproverRoles }
    complianceRequirements { id reference title workCheck }
    complianceChecks { status confirmedAt requirement { reference } }
  }
}`;

const START = /* GraphQL */ `mutation BenchStart($id: ID!) { startWork(id: $id, note: "bench") { id status version } }`;
const COMPLETE = /* GraphQL */ `mutation BenchComplete($id: ID!, $evidence: [EvidenceInput!]!) { completeWork(id: $id, evidence: $evidence, note: "bench") { id status version } }`;
const VERIFY = /* GraphQL */ `mutation BenchVerify($id: ID!) { verifyWork(id: $id, accept: true, note: "bench") { id status version } }`;

/** A small query to tell that the whole graph answers (cold start). */
const PROBE = /* GraphQL */ `
query BenchProbe($siteId: ID!, $areaId: ID) {
  board(siteId: $siteId, areaId: $areaId, first: 1) {
    items { id owner { name } permitReadiness { ready } requiredQualifications { code } documents { id } hazards { controls { state } } change { id } complianceChecks { status } }
  }
}`;

/** Evidence that meets a work item's required outcome (as the technician would submit it). */
function evidenceFor(requiredOutcome) {
  return (requiredOutcome?.evidence ?? []).map((req) => {
    switch (req.kind) {
      case 'MEASUREMENT': {
        const lo = req.min ?? 0;
        const hi = req.max ?? lo + 10;
        return { kind: req.kind, label: req.label, value: (lo + hi) / 2, unit: req.unit ?? null };
      }
      case 'PHOTO':
      case 'DOCUMENT':
        return { kind: req.kind, label: req.label, url: `https://files.example/bench/${req.label.replace(/\W+/g, '-')}.jpg` };
      case 'SIGNATURE':
        return { kind: req.kind, label: req.label, text: 'Bench Technician' };
      case 'CHECKLIST':
        return { kind: req.kind, label: req.label, answers: (req.questions ?? []).map((question) => ({ question, answer: 'OK' })) };
      default:
        return { kind: req.kind, label: req.label };
    }
  });
}

module.exports = { BOARD, WORK_ITEM, START, COMPLETE, VERIFY, PROBE, evidenceFor };
