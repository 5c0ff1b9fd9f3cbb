import { createKnownLocations, dropKnownLocations } from '@opsgraph/core';
import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * This service's copy of Work's location registry (`known_location`, libs/core/src/places.ts), kept from
 * Work's `location.registered` events and protected by site: every site, area, line and asset a request
 * names is checked against it.
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
