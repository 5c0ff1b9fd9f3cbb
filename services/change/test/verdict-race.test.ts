import { randomUUID } from 'node:crypto';
import { TrackedWorkItem } from '@opsgraph/core';
import { eventually, fakeWork, knowPlaces, ok, type TestService } from '@opsgraph/testing';
import { act, createChange, crew, eventsOf, newPlaces, startChange } from './fixtures';

/**
 * A change rejected before Work's `work_item.created` of its task reached the change service: the verdict sent
 * at the rejection could not name the task, so it is sent when the task's work item becomes known. (Seen from
 * outside: a task whose change was rejected tens of milliseconds after Work created it kept "must be approved".)
 */
let change: TestService;
let work: ReturnType<typeof fakeWork>;
const places = newPlaces();
beforeAll(async () => {
  change = await startChange();
  work = fakeWork();
  await knowPlaces(change.db, places);
});
afterAll(async () => {
  await work?.close();
  await change?.stop();
});

test("a task's work item first known after its change was rejected gets the verdict, once", async () => {
  const { id } = await createChange(change, places, { title: 'Rejected quickly', tasks: [{ title: 'Fit the new valve' }] });
  ok(await act(change, 'submitChangeRequest', { id }));
  ok(await act(change, 'startChangeReview', { id }, crew.supervisor));
  ok(await act(change, 'rejectChangeRequest', { id, role: 'SAFETY', comment: 'no isolation plan' }, crew.hse));
  const verdicts = async () => (await eventsOf(change, id, 'prerequisite.required')).filter((e) => /was rejected/.test(String(e.data.description)));
  expect(await verdicts()).toEqual([]); // no task work known yet: the rejection named none

  const task = { workItemId: randomUUID(), workType: 'MAINTENANCE', siteId: places.siteId, sourceDomain: 'CHANGE', sourceRecordId: id, workRequestId: `change:${id}:task:1` };
  await work.created(task);
  await eventually(async () => (await verdicts()).length === 1);
  expect((await verdicts())[0].data).toMatchObject({ workItemId: task.workItemId, siteId: places.siteId, kind: 'CHANGE_APPROVED', state: 'OPEN' });

  // Delivered again (a relay's retry): the item is known, nothing more is sent.
  await work.redeliverLast();
  await work.cancelled(task);
  await eventually(async () => (await change.db.getRepository(TrackedWorkItem).findOneBy({ workItemId: task.workItemId }))?.status === 'CANCELLED');
  expect(await verdicts()).toHaveLength(1);
});
