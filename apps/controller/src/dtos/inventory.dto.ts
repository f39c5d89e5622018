import { answerShape } from '@corral/protocol';
import { z } from 'zod';
import { pageSchema } from './pagination.dto.js';

export const isoDate = z.iso.datetime({ offset: true }).describe('ISO 8601 timestamp');

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
export const ImageSchema = z.object({ ...rowId, ...placement, ...answerShape('image'), ...freshness });
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
export type VolumeDto = z.infer<typeof VolumeSchema>;
export type NetworkDto = z.infer<typeof NetworkSchema>;
export type BridgeDto = z.infer<typeof BridgeSchema>;
export type LeaseDto = z.infer<typeof LeaseSchema>;
export type FindingDto = z.infer<typeof FindingSchema>;
