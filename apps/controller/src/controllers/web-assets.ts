import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Logger } from '@nestjs/common';
import type { NestExpressApplication } from '@nestjs/platform-express';

// Where `npm run build` puts the web view (apps/web/dist), seen from apps/controller/dist.
export const DEFAULT_WEB_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../web/dist');

// Paths that belong to the API, the agents, the probes and the metrics; everything else is the web page's.
const NOT_THE_PAGE = /^\/(api|agent|healthz|readyz|metrics)(\/|$)/;

// The page runs only our own scripts and talks only to us; nothing may frame it. Styles may be
// inline: xterm.js writes its theme, cell size and true-colour cells as <style> and style attributes.
export const WEB_SECURITY_HEADERS: Record<string, string> = {
  'Content-Security-Policy':
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; font-src 'self'; " +
    "connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'",
  'X-Content-Type-Options': 'nosniff',
  'Referrer-Policy': 'no-referrer',
  'X-Frame-Options': 'DENY',
};

interface Req {
  method: string;
  path: string;
}
interface Res {
  setHeader(name: string, value: string): unknown;
  sendFile(file: string): void;
}

// Serves the built web view at `/` from the same origin (and the same TLS) as the API: hashed assets
// cached for good, index.html for every other page path so the page's own routes survive a reload.
export function serveWebAssets(app: NestExpressApplication, dir: string, logger: Logger): void {
  const index = path.join(dir, 'index.html');
  if (!existsSync(index)) {
    logger.warn(`web view not built (no ${index}): run npm run build; the API works without it`);
    return;
  }
  const secure = (res: Res) => {
    for (const [name, value] of Object.entries(WEB_SECURITY_HEADERS)) res.setHeader(name, value);
  };
  // Vite puts every built file but index.html under assets/, names hashed (the page has no public/
  // files): only paths there reach the static files (an API request costs no stat of the disk),
  // cached for good.
  app.useStaticAssets(path.join(dir, 'assets'), {
    prefix: '/assets',
    index: false,
    fallthrough: false,
    setHeaders: (res: Res) => {
      secure(res);
      res.setHeader('Cache-Control', 'public, max-age=31536000, immutable');
    },
  });
  app.use((req: Req, res: Res, next: () => void) => {
    if ((req.method !== 'GET' && req.method !== 'HEAD') || NOT_THE_PAGE.test(req.path)) {
      next();
      return;
    }
    secure(res);
    res.setHeader('Cache-Control', 'no-cache');
    res.sendFile(index);
  });
}
