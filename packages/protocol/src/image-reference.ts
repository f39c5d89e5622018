// Docker's image reference grammar (the distribution "reference" grammar):
//   reference := name [":" tag] ["@" digest]
//   name      := [domain "/"] path-component ["/" path-component]*
//   domain    := (domain-name | "[" IPv6 "]") [":" port]
// The params schemas of the ops that take an image (ops/params.ts) check references by it.

const PATH_COMPONENT = /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$/;
const DOMAIN =
  /^(?:(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])(?:\.(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9]))*|\[[a-fA-F0-9:]+\])(?::[0-9]+)?$/;
const TAG = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/;
const DIGEST = /^[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9a-fA-F]{32,}$/;
// Longest name (domain and path) Docker accepts.
export const IMAGE_NAME_MAX = 255;

export interface ImageReference {
  domain: string | null;
  path: string;
  tag: string | null;
  digest: string | null;
}

export type ImageReferenceCheck = { ok: true; reference: ImageReference } | { ok: false; rule: string };

// Parses a reference by the grammar; `rule` says which part of it the text breaks.
export function parseImageReference(text: string, options: { digest?: boolean } = {}): ImageReferenceCheck {
  if (text.length === 0) return { ok: false, rule: 'an image reference cannot be empty' };
  let rest = text;
  let digest: string | null = null;
  const at = rest.indexOf('@');
  if (at >= 0) {
    if (options.digest === false) return { ok: false, rule: 'a digest (@...) cannot be given here; use name:tag' };
    digest = rest.slice(at + 1);
    rest = rest.slice(0, at);
    if (!DIGEST.test(digest)) {
      return { ok: false, rule: 'a digest is algorithm:hex with at least 32 hex digits (sha256:...)' };
    }
  }
  let tag: string | null = null;
  const colon = rest.lastIndexOf(':');
  if (colon > rest.lastIndexOf('/')) {
    tag = rest.slice(colon + 1);
    rest = rest.slice(0, colon);
    if (rest.length > 0 && !TAG.test(tag)) {
      return {
        ok: false,
        rule: `tag "${tag}" must be 1 to 128 letters, digits, "_", "." or "-", not starting with "." or "-"`,
      };
    }
  }
  if (rest.length === 0) return { ok: false, rule: 'the repository name cannot be empty' };
  if (rest.length > IMAGE_NAME_MAX) {
    return { ok: false, rule: `the repository name is longer than ${IMAGE_NAME_MAX} characters` };
  }
  const parts = rest.split('/');
  let domain: string | null = null;
  // The first part is a registry when it looks like one (a dot, a port, localhost) and more follow.
  if (parts.length > 1 && DOMAIN.test(parts[0]!) && looksLikeRegistry(parts[0]!)) domain = parts.shift()!;
  for (const part of parts) {
    if (PATH_COMPONENT.test(part)) continue;
    if (part.length > 0 && PATH_COMPONENT.test(part.toLowerCase())) {
      return { ok: false, rule: `repository name "${rest}" must be lowercase` };
    }
    return {
      ok: false,
      rule:
        `name component "${part}" must be lowercase letters and digits, separated by ".", "_", "__" or "-" ` +
        '(reference: [registry[:port]/]name[:tag][@digest])',
    };
  }
  return { ok: true, reference: { domain, path: parts.join('/'), tag, digest } };
}

function looksLikeRegistry(part: string): boolean {
  return (
    part.includes('.') ||
    part.includes(':') ||
    part === 'localhost' ||
    part.startsWith('[') ||
    part !== part.toLowerCase()
  );
}
