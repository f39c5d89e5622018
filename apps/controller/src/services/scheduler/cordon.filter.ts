import type { HostFilter } from './scheduler.types.js';

export const cordonFilter: HostFilter = {
  name: 'cordon',
  appliesTo: () => true,
  rejects: (host) => host.cordoned,
  reason: (host) => host.policyRefusal ?? (host.cordonReason ? `cordoned (${host.cordonReason})` : 'cordoned'),
};
