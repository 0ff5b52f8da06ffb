#!/usr/bin/env node
// Writes deploy/base/crd.yaml from the one SidecarTemplate definition (via the build in dist/).
// Run through `npm run generate:crd`, which builds first. A unit test fails when the committed
// file differs from what this would write.
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
const target = join(root, 'deploy/base/crd.yaml');
writeFileSync(target, renderCrdYaml(crd));
console.log(`generate-crd: wrote ${target}`);
