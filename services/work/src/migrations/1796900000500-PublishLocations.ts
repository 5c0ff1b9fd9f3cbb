import { ceType, dataschemaOf, topicOf } from '@opsgraph/events';
import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Publishes the locations registered before Work announced them (`location.registered`), so every supporting
 * domain's copy of the registry holds them too: one outbox row per site, area, line and asset, relayed like
 * any event. On a new database there is nothing to publish.
 */
export class PublishLocations1796900000500 implements MigrationInterface {
  name = 'PublishLocations1796900000500';
  async up(q: QueryRunner): Promise<void> {
    const event = (kind: string, table: string, siteId: string, areaId: string, lineId: string, extra = '') => `
      INSERT INTO outbox (event_id, topic, message_key, type, source, subject, time, dataschema, data)
      SELECT gen_random_uuid(), $1, id::text, $2, '/opsgraph/work', id::text, now(), $3,
             jsonb_build_object('locationId', id, 'kind', '${kind}', 'siteId', ${siteId}, 'areaId', ${areaId}, 'lineId', ${lineId}, 'code', code, 'name', name${extra})
        FROM ${table} ORDER BY id`;
    const params = [topicOf('work'), ceType('work', 'location.registered'), dataschemaOf('work', 'location.registered', 1)];
    await q.query(event('SITE', 'site', 'id', 'NULL', 'NULL'), params);
    await q.query(event('AREA', 'area', 'site_id', 'NULL', 'NULL'), params);
    await q.query(event('LINE', 'line', 'site_id', 'area_id', 'NULL'), params);
    await q.query(event('ASSET', 'asset', 'site_id', 'area_id', 'line_id', `, 'parentAssetId', parent_id, 'assetClass', asset_class`), params);
  }
  async down(): Promise<void> {
    // Published events stay published.
  }
}
