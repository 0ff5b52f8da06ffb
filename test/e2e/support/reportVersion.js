// jest --globalTeardown for `npm run test:e2e`: one last line naming the control plane the suite
// ran against, as its kube-apiserver binary reports itself (the version SIDECAR_INJECTOR_K8S_VERSION
// chose, else the newest supported minor; test/e2e/controlplane/build.sh --where resolves it).
const { execFileSync } = require('node:child_process');
const { readFileSync } = require('node:fs');
const { join } = require('node:path');

module.exports = async function reportVersion() {
  const script = join(__dirname, '..', 'controlplane', 'build.sh');
  let line;
  try {
    const where = execFileSync('bash', [script, '--where'], { encoding: 'utf8', timeout: 20_000 });
    const binDir = /^SIDECAR_INJECTOR_K8S_BIN_DIR=(.+)$/m.exec(where)[1];
    const apiserver = join(binDir, 'kube-apiserver');
    const reported = execFileSync(apiserver, ['--version'], { encoding: 'utf8', timeout: 20_000 }).trim();
    const etcd = readFileSync(join(binDir, 'etcd-version'), 'utf8').trim();
    line = `e2e: ran against kube-apiserver ${reported} and etcd ${etcd} (${apiserver})`;
  } catch (error) {
    line = `e2e: kube-apiserver unknown (${error.message})`;
  }
  process.stdout.write(`\n${line}\n`);
};
