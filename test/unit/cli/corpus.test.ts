// render over the corpus of realistic streams (test/corpus/): each one renders, and nothing
// outside the injected parts changes, in its values or in its text. (test/e2e/corpus.test.ts
// dry-runs input and output against a real API server.)
import { readKubernetesYaml } from '../../../src/shared/kubernetesYaml';
import { podTemplatesOf } from '../../../src/workloads/manifestDocument';
import {
  changesBesidesAdditions,
  corpusFiles,
  corpusText,
  podTemplateChanges,
  withoutPodTemplates,
} from '../../support/corpus';
import { cli } from './support';

const values = (text: string) =>
  readKubernetesYaml(text)
    .documents.map((d) => d.value)
    .filter((v) => v !== null);

test('the corpus has the streams the issue asks for', () => {
  expect(corpusFiles()).toEqual(
    expect.arrayContaining(['chart-output.yaml', 'kustomize-app.yaml', 'lists.yaml', 'yaml-edge-cases.yaml']),
  );
});

test('the comparison sees a changed, a removed and a reordered value, and lets additions pass', () => {
  expect(changesBesidesAdditions({ a: [1, 2], b: 'x' }, { a: [1, 2, 3], b: 'x', c: 1 })).toEqual([]);
  expect(changesBesidesAdditions({ a: [1, 2] }, { a: [2, 1] })).toEqual(['/a/1']);
  expect(changesBesidesAdditions({ a: { b: 1 } }, { a: { b: 2 } })).toEqual(['/a/b']);
  expect(changesBesidesAdditions({ a: 1, b: 2 }, { a: 1 })).toEqual(['/b']);
  expect(
    podTemplateChanges(
      { spec: { resources: { requests: { cpu: '1' } } } },
      { spec: { resources: { requests: { cpu: '2' } } } },
    ),
  ).toEqual([]);
});

describe.each(corpusFiles())('%s', (file) => {
  const input = corpusText(file);
  let output: string;
  beforeAll(async () => {
    const run = await cli(['render', '-f', '-'], { stdin: input });
    expect(run.code).toBe(0);
    output = run.stdout;
  });

  test('something is injected, and only added to pod templates', () => {
    const before = values(input);
    const after = values(output);
    expect(after).toHaveLength(before.length);
    let injected = 0;
    before.forEach((document, i) => {
      expect(withoutPodTemplates(after[i])).toEqual(withoutPodTemplates(document));
      const templatesBefore = podTemplatesOf(document).locations;
      const templatesAfter = podTemplatesOf(after[i]).locations;
      templatesBefore.forEach((location, j) => {
        const changed = templatesAfter[j]?.pod;
        expect(podTemplateChanges(location.pod, changed)).toEqual([]);
        if (changesBesidesAdditions(changed, location.pod).length > 0) injected++;
      });
    });
    expect(injected).toBeGreaterThan(0);
  });

  test('the text is the input with lines added, in place: no line of it is changed or lost', () => {
    const outputLines = output.split('\n');
    let next = 0;
    const missing: string[] = [];
    for (const line of input.split('\n')) {
      while (next < outputLines.length && outputLines[next] !== line) next++;
      if (next === outputLines.length) {
        missing.push(line);
        next = 0;
      } else next++;
    }
    expect(missing).toEqual([]);
  });

  test('json output holds the same values as the yaml output', async () => {
    const run = await cli(['render', '-f', '-', '-o', 'json'], { stdin: input });
    const json = JSON.parse(run.stdout);
    const documents = values(output);
    expect(documents.length === 1 ? [json] : json.items).toEqual(documents);
  });

  test('rendering the output again adds nothing', async () => {
    const again = await cli(['render', '-f', '-'], { stdin: output });
    expect(again.code).toBe(0);
    expect(again.stdout).toBe(output);
  });
});
