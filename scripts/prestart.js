#!/usr/bin/env node
// `npm start` runs this first: it builds when dist/ is missing or older than the sources, and
// creates a development certificate in certs/ when there is none. Plain Node, no dependencies.

const { spawnSync } = require('node:child_process');
const { existsSync, readdirSync, statSync } = require('node:fs');
const { join } = require('node:path');

const root = join(__dirname, '..');
const main = join(root, 'dist', 'src', 'cli', 'main.js');
const clientNodeBundle = join(root, 'dist', 'vendor', 'client-node.js');
const certificate = join(root, 'certs', 'tls.crt');

/** Newest modification time of the files below `path` (or of `path` itself). */
function newestMtime(path) {
  const info = statSync(path);
  if (!info.isDirectory()) return info.mtimeMs;
  let newest = 0;
  for (const entry of readdirSync(path)) newest = Math.max(newest, newestMtime(join(path, entry)));
  return newest;
}

function run(command, args, options = {}) {
  const result = spawnSync(command, args, { cwd: root, stdio: 'inherit', ...options });
  if (result.error) throw result.error;
  if (result.status !== 0) {
    process.stderr.write(`prestart: ${command} ${args.join(' ')} exited with ${result.status ?? result.signal}\n`);
    process.exit(result.status || 1);
  }
}

const sources = ['src', 'tsconfig.json', 'tsconfig.build.json'].map((p) => join(root, p)).filter(existsSync);
const stale =
  !existsSync(main) || !existsSync(clientNodeBundle) || Math.max(...sources.map(newestMtime)) > statSync(main).mtimeMs;
if (stale) {
  // What `npm run build` does, without npm's own start-up.
  process.stderr.write('prestart: building (tsc, then the client-node bundle)\n');
  run('npx', ['tsc', '-p', 'tsconfig.build.json'], { shell: process.platform === 'win32' });
  run(process.execPath, [join(__dirname, 'bundle-client-node.js')]);
}

if (!existsSync(certificate)) {
  process.stderr.write('prestart: generating a development certificate in certs/\n');
  // stdout is the caBundle, which npm start does not need.
  run(
    process.execPath,
    [main, 'certs', '--service', 'sidecar-injector', '--namespace', 'sidecar-injector', '--out', 'certs'],
    { stdio: ['ignore', 'ignore', 'inherit'] },
  );
}
