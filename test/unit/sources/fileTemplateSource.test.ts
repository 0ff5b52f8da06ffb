import { mkdirSync, mkdtempSync, renameSync, rmSync, symlinkSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { FileTemplateSource } from '../../../src/sources/fileTemplateSource';
import type { SourceName } from '../../../src/sources/templateSource';
import { Catalog } from '../../../src/templates/catalog';
import type { TemplateLoadError } from '../../../src/templates/documents';

const template = (name: string, image = 'busybox:1.37') =>
  `apiVersion: sidecar.injector.dev/v1alpha1\nkind: SidecarTemplate\nmetadata: { name: ${name} }\nspec:\n  containers: [ { name: agent, image: "${image}" } ]\n`;
const invalid = (name: string) =>
  `apiVersion: sidecar.injector.dev/v1alpha1\nkind: SidecarTemplate\nmetadata: { name: ${name} }\nspec: { mode: Sometimes }\n`;

/** Polls until `condition` holds; fails after `ms` instead of hanging. */
async function waitFor(condition: () => boolean, what: string, ms = 10_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

describe('FileTemplateSource', () => {
  let dir: string;
  let catalog: Catalog<SourceName>;
  let errors: TemplateLoadError[];
  let loads: number[];
  let logs: Array<Record<string, unknown>>;
  let source: FileTemplateSource | undefined;

  const imageOf = (name: string) => catalog.snapshot().templates.get(name)?.spec.containers?.[0]?.image;
  const names = () => [...catalog.snapshot().templates.keys()];
  const start = async (dirs = [dir]) => {
    const logger = pino({ level: 'info' }, { write: (line: string) => logs.push(JSON.parse(line)) });
    source = new FileTemplateSource({
      dirs,
      catalog,
      logger,
      pollIntervalMs: 50,
      debounceMs: 5,
      onError: (e) => errors.push(e),
      onLoad: (count) => loads.push(count),
    });
    await source.start();
  };

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'sidecar-injector-files-'));
    catalog = new Catalog(['files']);
    errors = [];
    loads = [];
    logs = [];
  });
  afterEach(() => {
    source?.stop();
    source = undefined;
    rmSync(dir, { recursive: true, force: true });
  });

  it('loads the templates before start() resolves', async () => {
    writeFileSync(join(dir, 'a.yaml'), template('alpha'));
    writeFileSync(join(dir, 'b.yaml'), template('beta'));
    await start();
    expect(names()).toEqual(['alpha', 'beta']);
    expect(loads).toEqual([2]);
    expect(errors).toEqual([]);
  });

  it('keeps the last good version of a file edited into an invalid one, and takes the fix', async () => {
    writeFileSync(join(dir, 'a.yaml'), template('alpha', 'busybox:1.36'));
    writeFileSync(join(dir, 'b.yaml'), template('beta'));
    await start();

    writeFileSync(join(dir, 'a.yaml'), invalid('alpha'));
    await waitFor(() => errors.length > 0, 'the invalid file to be reported');
    expect(errors[0]).toEqual({ file: join(dir, 'a.yaml'), problems: [expect.stringMatching(/^alpha: spec\.mode/)] });
    expect(imageOf('alpha')).toBe('busybox:1.36');
    expect(logs).toContainEqual(
      expect.objectContaining({
        level: 50,
        file: join(dir, 'a.yaml'),
        problems: errors[0]?.problems,
        msg: expect.stringContaining('keeping its last good version (alpha)'),
      }),
    );

    writeFileSync(join(dir, 'a.yaml'), template('alpha', 'busybox:1.37'));
    await waitFor(() => imageOf('alpha') === 'busybox:1.37', 'the fixed file to be loaded');
    expect(names()).toEqual(['alpha', 'beta']);
    expect(errors).toHaveLength(1);
  });

  it('reports a file that is invalid from the start, and still starts', async () => {
    writeFileSync(join(dir, 'bad.yaml'), 'kind: [');
    writeFileSync(join(dir, 'good.yaml'), template('good'));
    await start();
    expect(names()).toEqual(['good']);
    expect(errors).toEqual([{ file: join(dir, 'bad.yaml'), problems: [expect.stringMatching(/^line 1, column/)] }]);
  });

  it("removes a deleted file's templates and adds a new file's", async () => {
    writeFileSync(join(dir, 'a.yaml'), template('alpha'));
    writeFileSync(join(dir, 'b.yaml'), template('beta'));
    await start();
    unlinkSync(join(dir, 'a.yaml'));
    await waitFor(() => !names().includes('alpha'), 'alpha to go away');
    expect(names()).toEqual(['beta']);
    writeFileSync(join(dir, 'c.yml'), template('gamma'));
    await waitFor(() => names().includes('gamma'), 'gamma to appear');
    expect(names()).toEqual(['beta', 'gamma']);
  });

  it('forgets the last good version when an invalid file is deleted', async () => {
    writeFileSync(join(dir, 'a.yaml'), template('alpha'));
    await start();
    writeFileSync(join(dir, 'a.yaml'), invalid('alpha'));
    await waitFor(() => errors.length > 0, 'the invalid file to be reported');
    unlinkSync(join(dir, 'a.yaml'));
    await waitFor(() => names().length === 0, 'alpha to go away');
  });

  it('follows a ConfigMap volume update (the ..data symlink swapped)', async () => {
    mkdirSync(join(dir, '..v1'));
    writeFileSync(join(dir, '..v1', 'a.yaml'), template('alpha', 'busybox:1.36'));
    symlinkSync('..v1', join(dir, '..data'));
    symlinkSync(join('..data', 'a.yaml'), join(dir, 'a.yaml'));
    await start();
    expect(imageOf('alpha')).toBe('busybox:1.36');

    mkdirSync(join(dir, '..v2'));
    writeFileSync(join(dir, '..v2', 'a.yaml'), template('alpha', 'busybox:1.37'));
    symlinkSync('..v2', join(dir, '..data_tmp'));
    renameSync(join(dir, '..data_tmp'), join(dir, '..data'));
    await waitFor(() => imageOf('alpha') === 'busybox:1.37', 'the new ConfigMap version');
    expect(names()).toEqual(['alpha']);
  });

  it('keeps the first of two templates with the same name and reports the later file', async () => {
    writeFileSync(join(dir, 'a.yaml'), template('same', 'busybox:1.36'));
    writeFileSync(join(dir, 'b.yaml'), template('same', 'busybox:1.37'));
    await start();
    expect(imageOf('same')).toBe('busybox:1.36');
    expect(errors).toEqual([
      {
        file: join(dir, 'b.yaml'),
        problems: [`same: duplicate template name; first defined in ${join(dir, 'a.yaml')}#0`],
      },
    ]);
  });

  it('reads several directories in order, and waits for one that does not exist yet', async () => {
    const later = join(dir, 'later');
    writeFileSync(join(dir, 'a.yaml'), template('alpha'));
    await start([dir, later]);
    expect(names()).toEqual(['alpha']);
    expect(errors).toEqual([{ file: later, problems: ['cannot read: ENOENT'] }]);
    mkdirSync(later);
    writeFileSync(join(later, 'z.yaml'), template('zeta'));
    await waitFor(() => names().includes('zeta'), 'the new directory to be read');
    expect(errors).toHaveLength(1);
  });

  it('stops reloading after stop()', async () => {
    writeFileSync(join(dir, 'a.yaml'), template('alpha'));
    await start();
    source?.stop();
    writeFileSync(join(dir, 'b.yaml'), template('beta'));
    // Several poll intervals: a running poll would have picked b.yaml up by then.
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(names()).toEqual(['alpha']);
    expect(loads).toEqual([1]);
  });
});
