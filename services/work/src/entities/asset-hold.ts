import { Column, Entity, Index, PrimaryColumn } from 'typeorm';
import type { SourceDomain } from './work-item';

/**
 * A hold a supporting record put on an asset (`work.hold_requested`, e.g. a serious incident), until its
 * `work.hold_released`: while active, new work on the asset starts ON_HOLD, and the work it stopped is resumed
 * only by `resumeRoles`, with a reason. `requestedAt`/`releasedAt` are the events' times, so a release read
 * before its request (a retried event) is not undone by it.
 */
@Entity()
@Index('IDX_asset_hold_active', ['assetId'], { where: 'released_at IS NULL' })
export class AssetHold {
  @PrimaryColumn('text') sourceDomain: SourceDomain;
  @PrimaryColumn('text') sourceRecordId: string;
  @PrimaryColumn('uuid') assetId: string;
  @Column('uuid') siteId: string;
  @Column('text', { nullable: true }) reason: string | null;
  @Column('text', { array: true }) resumeRoles: string[];
  @Column('timestamptz', { nullable: true }) requestedAt: Date | null;
  @Column('timestamptz', { nullable: true }) releasedAt: Date | null;
  @Column('text', { nullable: true }) releaseReason: string | null;
}
