import { join } from 'node:path';
import { cli, tempDir } from './support';

const template = (name: string, spec: string) =>
  `apiVersion: sidecar.injector.dev/v1alpha1\nkind: SidecarTemplate\nmetadata: { name: ${name} }\nspec:\n${spec}`;
/** `${params.NAME}`, written so that it is not a template literal placeholder here. */
const param = (name: string) => `$\{params.${name}}`;
const good = (name: string) => template(name, '  containers: [ { name: agent, image: "busybox:1.37" } ]\n');

describe('validate', () => {
  it('passes the shipped example templates, by default and with --templates-dir', async () => {
    for (const args of [[], ['--templates-dir', join(__dirname, '../../../deploy/templates')]]) {
      const run = await cli(['validate', ...args]);
      expect(run.stdout).toMatch(
        /^OK: 5 templates in 5 files \(config-reloader, log-shipper, metrics-exporter, proxy, tls-terminator\)\n$/,
      );
      expect(run.code).toBe(0);
    }
  });

  it('accepts files as arguments and a multi-document file', async () => {
    const dir = tempDir({
      'two.yaml': `${good('one')}---\n${good('two')}`,
      'three.json': JSON.stringify({
        apiVersion: 'sidecar.injector.dev/v1alpha1',
        kind: 'SidecarTemplate',
        metadata: { name: 'three' },
        spec: { containers: [{ name: 'agent', image: 'busybox:1.37' }] },
      }),
    });
    try {
      const run = await cli(['validate', dir.path('two.yaml'), dir.path('three.json')]);
      expect(run.stdout).toBe('OK: 3 templates in 2 files (one, two, three)\n');
      expect(run.code).toBe(0);
    } finally {
      dir.cleanup();
    }
  });

  describe('problems', () => {
    const dir = tempDir({
      'a-undeclared.yaml': template(
        'undeclared',
        `  parameters: [ { name: port, type: integer, default: 80 } ]\n  containers: [ { name: agent, image: "busybox:1.37", args: ["--path=${param('path')}"] } ]\n`,
      ),
      'b-selector.yaml': template(
        'bad-selector',
        '  selector: { podSelector: { matchExpressions: [ { key: app, operator: In } ] } }\n  containers: [ { name: agent, image: "busybox:1.37" } ]\n',
      ),
      'c-regex.yaml': template(
        'bad-regex',
        `  parameters: [ { name: path, default: /x, pattern: "^(/[a-z]+$" } ]\n  containers: [ { name: agent, image: "busybox:1.37", args: ["${param('path')}"] } ]\n`,
      ),
      'd-first.yaml': good('twice'),
      'e-second.yaml': good('twice'),
      'f-syntax.yaml': 'apiVersion: sidecar.injector.dev/v1alpha1\nkind: SidecarTemplate\nmetadata: { name: [oops\n',
    });
    afterAll(() => dir.cleanup());

    it('prints one file: name: problem line each and exits 1', async () => {
      const run = await cli(['validate', '--templates-dir', dir.dir]);
      expect(run.code).toBe(1);
      const lines = run.stdout.trim().split('\n');
      const line = (file: string) => lines.filter((l) => l.startsWith(`${dir.path(file)}: `));
      expect(line('a-undeclared.yaml')).toEqual([
        expect.stringMatching(
          /: undeclared: spec\.containers\[0\]\.args\[0\]: \$\{params\.path\} is not a declared parameter \(declared: port\)$/,
        ),
      ]);
      expect(line('b-selector.yaml')).toEqual([
        expect.stringMatching(/: bad-selector: spec\.selector\.podSelector\.matchExpressions\[0\]/),
      ]);
      expect(line('c-regex.yaml')).toContainEqual(
        expect.stringMatching(/: bad-regex: spec\.parameters\[0\]\.pattern: not a valid regular expression/),
      );
      expect(line('d-first.yaml')).toEqual([]);
      expect(line('e-second.yaml')).toEqual([
        `${dir.path('e-second.yaml')}: twice: duplicate template name; first defined in ${dir.path('d-first.yaml')}#0`,
      ]);
      expect(line('f-syntax.yaml')).toContainEqual(expect.stringMatching(/: line 4, column 1: Flow map/));
      expect(run.stderr).toBe(`${lines.length} problems in 5 files\n`);
    });
  });

  it('fails for a directory without template files and for a missing path', async () => {
    const dir = tempDir({ 'notes.txt': 'not a template' });
    try {
      const empty = await cli(['validate', '--templates-dir', dir.dir]);
      expect(empty.code).toBe(1);
      expect(empty.stdout).toContain('no *.yaml, *.yml or *.json files');
      const missing = await cli(['validate', dir.path('absent.yaml')]);
      expect(missing.code).toBe(1);
      expect(missing.stdout).toBe(`${dir.path('absent.yaml')}: cannot read: ENOENT\n`);
    } finally {
      dir.cleanup();
    }
  });

  it('reads the directories from SIDECAR_INJECTOR_TEMPLATES_DIR', async () => {
    const dir = tempDir({ 'one.yaml': good('from-env') });
    try {
      const run = await cli(['validate'], { env: { SIDECAR_INJECTOR_TEMPLATES_DIR: dir.dir } });
      expect(run.stdout).toBe('OK: 1 template in 1 file (from-env)\n');
    } finally {
      dir.cleanup();
    }
  });
});
