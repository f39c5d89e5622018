#!/usr/bin/env node
// `npm run pack:cli [-- DEST]`: `npm pack` of the corral command line as one installable tarball.
// npm does not pack workspace packages a package depends on, so the built CLI is staged with
// @corral/client and @corral/protocol bundled in its node_modules, their own dependencies added
// to its dependencies, and packed from there: `npm install -g ./corral-cli-VERSION.tgz`.
import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const dest = path.resolve(process.argv[2] ?? root);
const read = (dir) => JSON.parse(readFileSync(path.join(root, dir, 'package.json'), 'utf8'));
const bundled = { '@corral/client': 'packages/client', '@corral/protocol': 'packages/protocol' };
for (const dir of ['apps/cli', ...Object.values(bundled)]) {
  if (!existsSync(path.join(root, dir, 'dist'))) throw new Error(`${dir}/dist is missing: run npm run build first`);
}

const stage = mkdtempSync(path.join(os.tmpdir(), 'corral-cli-pack-'));
try {
  const cli = read('apps/cli');
  cpSync(path.join(root, 'apps/cli/dist'), path.join(stage, 'dist'), { recursive: true });
  cpSync(path.join(root, 'apps/cli/completions'), path.join(stage, 'completions'), { recursive: true });
  const dependencies = { ...cli.dependencies };
  // npm takes what a bundled package needs from the bundle too: their dependencies, and theirs, go in.
  const inBundle = new Set(Object.keys(bundled));
  const queue = [];
  for (const [name, dir] of Object.entries(bundled)) {
    const pkg = read(dir);
    const target = path.join(stage, 'node_modules', name);
    cpSync(path.join(root, dir, 'dist'), path.join(target, 'dist'), { recursive: true });
    writeFileSync(
      path.join(target, 'package.json'),
      `${JSON.stringify({ ...pkg, scripts: undefined, devDependencies: undefined }, null, 2)}\n`,
    );
    for (const [dep, version] of Object.entries(pkg.dependencies ?? {})) {
      if (dep.startsWith('@corral/')) continue;
      dependencies[dep] = version;
      queue.push(dep);
    }
  }
  while (queue.length > 0) {
    const dep = queue.shift();
    if (inBundle.has(dep)) continue;
    inBundle.add(dep);
    const from = path.join(root, 'node_modules', dep);
    cpSync(from, path.join(stage, 'node_modules', dep), { recursive: true, dereference: true });
    const pkg = JSON.parse(readFileSync(path.join(from, 'package.json'), 'utf8'));
    queue.push(...Object.keys(pkg.dependencies ?? {}));
  }
  const manifest = {
    ...cli,
    scripts: undefined,
    devDependencies: undefined,
    dependencies,
    bundleDependencies: [...inBundle],
  };
  manifest.files = ['dist', 'completions'];
  writeFileSync(path.join(stage, 'package.json'), `${JSON.stringify(manifest, null, 2)}\n`);
  const out = execFileSync('npm', ['pack', '--pack-destination', dest], { cwd: stage, encoding: 'utf8' }).trim();
  console.log(path.join(dest, out.split('\n').pop()));
} finally {
  rmSync(stage, { recursive: true, force: true });
}
