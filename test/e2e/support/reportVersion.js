// jest --globalTeardown for `npm run test:e2e`: one last line saying which control plane the
// suite ran against (the binaries test/e2e/controlplane/build.sh cached for the pinned version).
const { execFileSync } = require('node:child_process');
const { readFileSync } = require('node:fs');
const { homedir } = require('node:os');
const { join } = require('node:path');

module.exports = async function reportVersion() {
  const goMod = readFileSync(join(__dirname, '..', 'controlplane', 'go.mod'), 'utf8');
  const kube = /^\s*k8s\.io\/kubernetes (v\S+)/m.exec(goMod)?.[1];
  const etcd = /^\s*go\.etcd\.io\/etcd\/server\/v3 (v\S+)/m.exec(goMod)?.[1];
  const cache = process.env.SIDECAR_INJECTOR_CACHE || join(homedir(), '.cache', 'sidecar-injector');
  const apiserver = join(cache, `k8s-${kube}`, 'bin', 'kube-apiserver');
  let reported;
  try {
    reported = execFileSync(apiserver, ['--version'], { encoding: 'utf8', timeout: 20_000 }).trim();
  } catch (error) {
    reported = `unknown (${apiserver}: ${error.message})`;
  }
  process.stdout.write(`\ne2e: ran against kube-apiserver ${reported} and etcd ${etcd} (${apiserver})\n`);
};
