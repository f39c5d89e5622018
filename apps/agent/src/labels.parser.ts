import { HostLabelKeySchema, type HostLabels, HostLabelValueSchema, MAX_HOST_LABELS } from '@corral/protocol';

export type LabelListResult = { ok: true; labels: HostLabels } | { ok: false; problems: string[] };

// "zone=eu,disk=ssd" -> {zone: 'eu', disk: 'ssd'}. Blanks around items are ignored; "gpu=" is an empty value.
// Every bad item is reported, each naming the item, so one look at the error fixes the whole list.
export function parseLabelList(text: string): LabelListResult {
  const labels: HostLabels = {};
  const problems: string[] = [];
  const items = text
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
  for (const item of items) {
    const eq = item.indexOf('=');
    if (eq < 0) {
      problems.push(`"${item}" is not key=value`);
      continue;
    }
    const key = item.slice(0, eq).trim();
    const value = item.slice(eq + 1).trim();
    const keyCheck = HostLabelKeySchema.safeParse(key);
    if (!keyCheck.success) {
      problems.push(`"${item}": ${keyCheck.error.issues[0]?.message}`);
      continue;
    }
    const valueCheck = HostLabelValueSchema.safeParse(value);
    if (!valueCheck.success) {
      problems.push(`"${item}": ${valueCheck.error.issues[0]?.message}`);
      continue;
    }
    if (key in labels) {
      problems.push(`"${key}" is given twice`);
      continue;
    }
    labels[key] = value;
  }
  if (Object.keys(labels).length > MAX_HOST_LABELS) problems.push(`at most ${MAX_HOST_LABELS} labels`);
  return problems.length > 0 ? { ok: false, problems } : { ok: true, labels };
}
