import { randomUUID } from 'node:crypto';
import { ceType, dataschemaOf, toMessage, topicOf } from '@opsgraph/events';
import { eventually, fakeWork, ok, type TestService } from '@opsgraph/testing';
import { act, approve, check, createChange, eventsOf, knownPlaces, startChange, type Places } from './fixtures';

/**
 * A pre-startup check that needs a permit is raised with a PERMIT_VALID blocker of its own (source: the
 * check), which the change satisfies once an issued permit of the check's site covers the check's work item,
 * whichever of the permits domain's and Work's events arrives first. Driven by events as Work and Permits would
 * publish them (the whole loop through the gateway: startup-authorization.e2e.test.ts).
 */
let change: TestService;
let places: Places;
let work: ReturnType<typeof fakeWork>;

beforeAll(async () => {
  change = await startChange();
  work = fakeWork();
  places = await knownPlaces(change);
});
afterAll(async () => {
  await work?.close();
  await change?.stop();
});

/** Publishes `permit.issued` as the permits domain's relay would. */
async function permitIssued(siteId: string, workItemIds: string[]) {
  const permitId = randomUUID();
  const number = `PTW-TST-${String(Math.floor(Math.random() * 9000) + 1000)}`;
  const now = new Date().toISOString();
  const data = {
    permitId, number, permitType: 'LINE_BREAKING', status: 'ISSUED', siteId, areaId: null, assetIds: [], workItemIds, actorId: randomUUID(), at: now,
    from: 'APPROVED', note: null, performingAuthorityId: randomUUID(), validFrom: now, validTo: new Date(Date.now() + 3600_000).toISOString(),
  };
  await work.transport.publish([
    toMessage({ eventId: randomUUID(), topic: topicOf('permits'), key: permitId, type: ceType('permits', 'permit.issued'), source: '/opsgraph/permits', subject: permitId, time: new Date(), dataschema: dataschemaOf('permits', 'permit.issued'), data, headers: {} }),
  ]);
  return { permitId, number };
}

const covered = async (workItemId: string, permitId: string) =>
  (await change.db.query(`SELECT 1 FROM permit_cover WHERE work_item_id = $1 AND permit_id = $2`, [workItemId, permitId])).length > 0;

test('the check\'s permit blocker is satisfied by an issued permit of its site covering its work item, before or after Work reports the item', async () => {
  const created = await createChange(change, places, {
    preStartupChecks: [
      check('Leak test the new valve', { assetId: places.assetId, permitRequired: true, permitNote: 'line breaking permit' }),
      check('Pressure test the bypass', { assetId: places.assetId, permitRequired: true }),
      check('Inspect line 3'),
    ],
  });
  await approve(change, created.id);
  ok(await act(change, 'startChangeImplementation', { id: created.id }));
  const review = ok(await act(change, 'startPreStartupReview', { id: created.id })).startPreStartupReview;
  const [leak, pressure] = review.preStartupChecks as { id: string }[];
  const requests = (await eventsOf(change, created.id, 'work.requested')).map((e) => e.data as Record<string, any>);
  expect(requests.map((r) => r.prerequisites)).toEqual([
    [{ kind: 'PERMIT_VALID', sourceRecordId: leak.id, description: expect.stringContaining('(line breaking permit)'), reason: 'the pre-startup check needs a permit to work' }],
    [expect.objectContaining({ kind: 'PERMIT_VALID', sourceRecordId: pressure.id })],
    [],
  ]);
  const item = (n: number) => ({ workItemId: randomUUID(), workType: 'PRE_STARTUP_CHECK', siteId: places.siteId, sourceDomain: 'CHANGE', sourceRecordId: created.id, workRequestId: requests[n].requestId });
  const [leakItem, pressureItem] = [item(0), item(1)];
  const satisfied = async () => (await eventsOf(change, created.id, 'prerequisite.satisfied')).map((e) => e.data as Record<string, any>).filter((d) => d.kind === 'PERMIT_VALID');

  // The leak test's permit is issued before Work's event about its item arrives here: kept, then applied.
  const early = await permitIssued(places.siteId, [leakItem.workItemId]);
  await eventually(() => covered(leakItem.workItemId, early.permitId));
  expect(await satisfied()).toEqual([]);
  await work.created(leakItem);
  const [first] = await eventually(async () => {
    const s = await satisfied();
    return s.length === 1 && s;
  });
  expect(first).toEqual({ sourceRecordId: leak.id, kind: 'PERMIT_VALID', workItemIds: [leakItem.workItemId], reason: expect.stringMatching(new RegExp(`^${early.number} issued, covering TST-`)) });

  // Another site's permit naming the pressure test's item satisfies nothing; the right site's one does.
  await work.created(pressureItem);
  const foreign = await permitIssued(randomUUID(), [pressureItem.workItemId]);
  await eventually(() => covered(pressureItem.workItemId, foreign.permitId));
  expect(await satisfied()).toHaveLength(1);
  const right = await permitIssued(places.siteId, [pressureItem.workItemId]);
  const both = await eventually(async () => {
    const s = await satisfied();
    return s.length === 2 && s;
  });
  expect(both[1]).toMatchObject({ sourceRecordId: pressure.id, workItemIds: [pressureItem.workItemId], reason: expect.stringContaining(right.number) });
});
