// major.minor: a different major cannot be spoken; a newer minor only adds optional fields.
export const PROTOCOL_VERSION = '1.1';

export interface ParsedVersion {
  major: number;
  minor: number;
}

export function parseProtocolVersion(version: string): ParsedVersion | null {
  const match = /^(\d+)\.(\d+)$/.exec(version);
  if (!match) return null;
  return { major: Number(match[1]), minor: Number(match[2]) };
}

export function isCompatibleVersion(theirs: string, ours: string = PROTOCOL_VERSION): boolean {
  const a = parseProtocolVersion(theirs);
  const b = parseProtocolVersion(ours);
  return a !== null && b !== null && a.major === b.major;
}
