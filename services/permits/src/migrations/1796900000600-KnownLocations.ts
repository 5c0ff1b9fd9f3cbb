import { createKnownLocations, dropKnownLocations } from '@opsgraph/core';
import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The copy of Work's location registry (sites, areas, lines, assets), kept from Work's
 * `opsgraph.work.location.registered` events (libs/core/src/places.ts): every location a request names is
 * checked against it. Protected by site like every site-scoped table.
 */
export class KnownLocations1796900000600 implements MigrationInterface {
  name = 'KnownLocations1796900000600';

  async up(q: QueryRunner): Promise<void> {
    await createKnownLocations(q);
  }

  async down(q: QueryRunner): Promise<void> {
    await dropKnownLocations(q);
  }
}
