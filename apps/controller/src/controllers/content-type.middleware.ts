import { COMMAND_OPS, opSpec } from '@corral/protocol';

interface Req {
  method: string;
  path: string;
  headers: Record<string, string | string[] | undefined>;
}
interface Res {
  status(code: number): { json(body: unknown): void };
}

// Largest JSON body the API reads (413 past it): command bodies are small; image tarballs are not
// JSON and stream past the parser.
export const JSON_BODY_LIMIT_BYTES = 1024 * 1024;

// Paths of the routes that take a file (they check its type themselves), as patterns.
const UPLOAD_PATHS = [
  ...COMMAND_OPS.filter((op) => opSpec(op).route.paramsFrom === 'upload').map(
    (op) => new RegExp(`^/api/v1${opSpec(op).route.path.replace(/\{\w+\}/g, '[^/]+')}/?$`),
  ),
  // An agent streaming an image archive into a transfer (uploads.controller.ts).
  /^\/api\/v1\/uploads\/[^/]+\/?$/,
];

const hasBody = (req: Req) =>
  Number(req.headers['content-length'] ?? 0) > 0 || req.headers['transfer-encoding'] !== undefined;

// A request body must be JSON: without this, express would read a form-encoded JSON text as one
// odd key and the answer would be a confusing 400 instead of 415.
export function requireJsonBodies(req: Req, res: Res, next: () => void): void {
  if (!hasBody(req) || UPLOAD_PATHS.some((p) => p.test(req.path))) {
    next();
    return;
  }
  const type = String(req.headers['content-type'] ?? '')
    .split(';')[0]!
    .trim()
    .toLowerCase();
  if (type === 'application/json' || type.endsWith('+json')) {
    next();
    return;
  }
  res.status(415).json({
    error: 'unsupported_media_type',
    message: `send the body as application/json (with "Content-Type: application/json"), not "${type || 'no content type'}"`,
  });
}
