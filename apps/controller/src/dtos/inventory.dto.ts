import { answerShape, IMAGE_ORIGINS } from '@corral/protocol';
import { z } from 'zod';
import { pageSchema } from './pagination.dto.js';

// Each use says which moment it is; the format (date-time) already says ISO 8601.
export const isoDate = z.iso.datetime({ offset: true });

// Every inventory row: our id first, where it lives, and how fresh it is last. What lies between
// comes from the kind registry (its columns shown in answers, with their record fields' schemas).
const rowId = { id: z.guid().describe('Corral id of this row') };
const placement = {
  hostId: z.guid().describe('id of the host holding it'),
  hostname: z.string().describe('hostname of the host holding it'),
};
const freshness = {
  observedAt: isoDate.describe('when the agent last reported this row'),
  stale: z.boolean().describe('the host is offline: this is its last known state'),
};

export const ContainerSchema = z.object({ ...rowId, ...placement, ...answerShape('container'), ...freshness });
const text = (what: string) => z.string().nullable().describe(what);
export const ImageOriginSchema = z
  .object({
    kind: z
      .enum(IMAGE_ORIGINS)
      .describe(
        'pulled, loaded (docker save archive), copied (from another host), committed, imported (rootfs), or unknown (appeared outside Corral)',
      ),
    registry: text("registry it was pulled from (copies: their source's)"),
    reference: text('reference it was pulled, committed or imported as'),
    digest: text("registry digest it is traced to (copies keep their source's)"),
    fromHostId: text('copies: the host it was copied from'),
    fromHostname: text("copies: that host's name"),
    fromImage: text('copies: its Docker image id there'),
    uploadId: text('loads and imports: the upload it came in'),
    container: text('commits: Docker id of the container it was made from, on the same host'),
    commandId: text('the command that brought it'),
    requestedBy: text('who asked for that command'),
    at: isoDate
      .nullable()
      .describe(
        'when Corral recorded it; for unknown ones, when first seen (null: not recorded yet, for an image first seen an instant ago or before origins were kept)',
      ),
    source: z.record(z.string(), z.unknown()).nullable().describe("copies: the source's origin as it was then"),
  })
  .describe('where the image on this host came from');
export const ImageSchema = z.object({
  ...rowId,
  ...placement,
  ...answerShape('image'),
  origin: ImageOriginSchema,
  ...freshness,
});
export const VolumeSchema = z.object({ ...rowId, ...placement, ...answerShape('volume'), ...freshness });
export const NetworkSchema = z.object({ ...rowId, ...placement, ...answerShape('network'), ...freshness });
export const BridgeSchema = z.object({ ...rowId, ...placement, ...answerShape('bridge'), ...freshness });
export const LeaseSchema = z.object({ ...rowId, ...placement, ...answerShape('lease'), ...freshness });
export const VolumeUseSchema = z.object({
  family: z.string().describe('image repository without tag, or the corral.volume.family label'),
  repository: z.string().nullable().describe('image repository (null for an untagged image)'),
  imageId: z.string().describe('image id'),
  containers: z.array(z.string()).describe('containers of this family and image seen mounting the volume'),
  firstSeenAt: isoDate.describe('first seen mounting it'),
  lastUsedAt: isoDate.describe('last seen mounting it'),
});
export const VolumeDetailSchema = VolumeSchema.extend({
  history: z
    .array(VolumeUseSchema)
    .describe('the images that have mounted this volume, latest use first (the volume guard reads it)'),
});
export type VolumeDetail = z.infer<typeof VolumeDetailSchema>;
export const FindingSchema = z.object({ ...rowId, ...placement, ...answerShape('finding'), ...freshness });

export const ContainerPageSchema = pageSchema(ContainerSchema);
export const ImagePageSchema = pageSchema(ImageSchema);
export const VolumePageSchema = pageSchema(VolumeSchema);
export const NetworkPageSchema = pageSchema(NetworkSchema);
export const BridgePageSchema = pageSchema(BridgeSchema);
export const LeasePageSchema = pageSchema(LeaseSchema);
export const FindingPageSchema = pageSchema(FindingSchema);

export type ContainerDto = z.infer<typeof ContainerSchema>;
export type ImageDto = z.infer<typeof ImageSchema>;
export type ImageOriginDto = z.infer<typeof ImageOriginSchema>;
export type VolumeDto = z.infer<typeof VolumeSchema>;
export type NetworkDto = z.infer<typeof NetworkSchema>;
export type BridgeDto = z.infer<typeof BridgeSchema>;
export type LeaseDto = z.infer<typeof LeaseSchema>;
export type FindingDto = z.infer<typeof FindingSchema>;
