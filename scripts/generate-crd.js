#!/usr/bin/env node
// Writes the SidecarTemplate CRD from the one SidecarTemplate definition (via the build in dist/)
// into deploy/base/crd.yaml (kustomize) and the Helm chart's crds/. Run through
// `npm run generate:crd`, which builds first. A unit test fails when a committed file differs
// from what this would write.
const { writeFileSync } = require('node:fs');
const { join } = require('node:path');

const root = join(__dirname, '..');
const { renderCrdYaml, sidecarTemplateCrd, structuralProblems } = require(
  join(root, 'dist/src/templates/crdSchema.js'),
);

const crd = sidecarTemplateCrd();
const problems = structuralProblems(crd.spec.versions[0].schema.openAPIV3Schema);
if (problems.length > 0) {
  console.error(`generate-crd: the schema is not structural:\n  ${problems.join('\n  ')}`);
  process.exit(1);
}
for (const file of ['deploy/base/crd.yaml', 'deploy/helm/sidecar-injector/crds/sidecartemplates.yaml']) {
  writeFileSync(join(root, file), renderCrdYaml(crd));
  console.log(`generate-crd: wrote ${file}`);
}
