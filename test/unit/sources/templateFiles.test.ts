import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadTemplatePaths } from '../../../src/sources/templateFiles';
import { parseDocuments } from '../../../src/templates/documents';

const template = (name: string) =>
  `apiVersion: sidecar.injector.dev/v1alpha1\nkind: SidecarTemplate\nmetadata: { name: ${name} }\nspec:\n  containers: [ { name: agent, image: "busybox:1.37" } ]\n`;

describe('parseDocuments', () => {
  it('skips empty documents and flattens the items of a List', () => {
    const text = `---\n# only a comment\n---\na: 1\n---\n---\napiVersion: v1\nkind: List\nitems: [ { b: 2 }, { c: 3 } ]\n`;
    expect(parseDocuments(text)).toEqual({ documents: [{ a: 1 }, { b: 2 }, { c: 3 }], problems: [] });
  });

  it('reads JSON', () => {
    expect(parseDocuments('{"kind": "Pod", "spec": {"containers": []}}').documents).toEqual([
      { kind: 'Pod', spec: { containers: [] } },
    ]);
  });

  it('reports syntax errors with line and column, and duplicate keys', () => {
    // The error is located in the second document, by its line in the whole file.
    expect(parseDocuments('a: 1\n---\nb: 2\n  c: 3\n').problems).toContainEqual(
      expect.stringMatching(/^line 3, column 4: Nested mappings/),
    );
    expect(parseDocuments('a: 1\na: 2\n').problems).toEqual([
      expect.stringMatching(/^line 2, column 1: .*[Mm]ap keys must be unique/),
    ]);
  });
});

describe('loadTemplatePaths', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'sidecar-injector-load-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('reads *.yaml, *.yml and *.json in name order, not dotfiles, other files or subdirectories', async () => {
    writeFileSync(join(dir, 'b.yml'), template('from-yml'));
    writeFileSync(join(dir, 'a.yaml'), template('from-yaml'));
    writeFileSync(join(dir, 'c.json'), JSON.stringify(parseDocuments(template('from-json')).documents[0]));
    writeFileSync(join(dir, '.hidden.yaml'), template('hidden'));
    writeFileSync(join(dir, 'README.md'), '# not a template');
    mkdirSync(join(dir, 'sub.yaml'));
    writeFileSync(join(dir, 'sub.yaml', 'deep.yaml'), template('deep'));
    const loaded = await loadTemplatePaths([dir]);
    expect(loaded.errors).toEqual([]);
    expect(loaded.templates.map((t) => t.name)).toEqual(['from-yaml', 'from-yml', 'from-json']);
    expect(loaded.files).toEqual(['a.yaml', 'b.yml', 'c.json'].map((f) => join(dir, f)));
    expect(loaded.templates[0]?.source).toBe(`${join(dir, 'a.yaml')}#0`);
  });

  it('follows symlinks as in a ConfigMap volume, without reading ..data twice', async () => {
    mkdirSync(join(dir, '..2026_01_01'));
    writeFileSync(join(dir, '..2026_01_01', 'shipper.yaml'), template('shipper'));
    symlinkSync('..2026_01_01', join(dir, '..data'));
    symlinkSync(join('..data', 'shipper.yaml'), join(dir, 'shipper.yaml'));
    symlinkSync('missing.yaml', join(dir, 'dangling.yaml'));
    const loaded = await loadTemplatePaths([dir]);
    expect(loaded.templates.map((t) => t.name)).toEqual(['shipper']);
    expect(loaded.errors).toEqual([]);
  });

  it('keeps the first of two templates with one name and reports the second', async () => {
    writeFileSync(join(dir, 'a.yaml'), template('same'));
    writeFileSync(join(dir, 'b.yaml'), `${template('other')}---\n${template('same')}`);
    const loaded = await loadTemplatePaths([dir]);
    expect(loaded.templates.map((t) => [t.name, t.source])).toEqual([
      ['same', `${join(dir, 'a.yaml')}#0`],
      ['other', `${join(dir, 'b.yaml')}#0`],
    ]);
    expect(loaded.errors).toEqual([
      {
        file: join(dir, 'b.yaml'),
        problems: [`same: duplicate template name; first defined in ${join(dir, 'a.yaml')}#0`],
      },
    ]);
  });

  it('loads nothing from a file with an invalid template, as the server at startup, and names it', async () => {
    writeFileSync(join(dir, 'mixed.yaml'), `${template('fine')}---\n${template('Not_Valid')}`);
    const loaded = await loadTemplatePaths([dir]);
    expect(loaded.templates).toEqual([]);
    expect(loaded.errors).toEqual([
      {
        file: join(dir, 'mixed.yaml'),
        problems: [expect.stringMatching(/^Not_Valid: metadata\.name: .*DNS subdomain/)],
      },
    ]);
  });

  it('reports a path that does not exist', async () => {
    const loaded = await loadTemplatePaths([join(dir, 'nope')]);
    expect(loaded.errors).toEqual([{ file: join(dir, 'nope'), problems: ['cannot read: ENOENT'] }]);
  });
});
