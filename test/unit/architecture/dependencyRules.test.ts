// The import rules of ARCHITECTURE.md (.dependency-cruiser.cjs) hold for src/, and each kind of
// rule refuses a violating import planted in a scratch tree shaped like src/.
import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';

const root = join(__dirname, '..', '..', '..');
const depcruise = join(root, 'node_modules', '.bin', 'depcruise');
const config = join(root, '.dependency-cruiser.cjs');

async function cruise(cwd: string): Promise<{ code: number; output: string }> {
  try {
    const { stdout } = await promisify(execFile)(depcruise, ['src', '--config', config], { cwd });
    return { code: 0, output: stdout };
  } catch (error) {
    const failed = error as { code: number; stdout: string; stderr: string };
    return { code: failed.code, output: `${failed.stdout}${failed.stderr}` };
  }
}

/** A scratch tree of the given files under src/, with the repo's tsconfig. */
function plant(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), 'depcruise-'));
  writeFileSync(join(dir, 'tsconfig.json'), JSON.stringify({ compilerOptions: { module: 'commonjs' } }));
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, 'src', path)), { recursive: true });
    writeFileSync(join(dir, 'src', path), text);
  }
  return dir;
}

const scratch: string[] = [];
afterAll(() => {
  for (const dir of scratch) rmSync(dir, { recursive: true, force: true });
});

test('src/ keeps every rule', async () => {
  const result = await cruise(root);
  expect(result.output).toMatch(/no dependency violations found/);
  expect(result.code).toBe(0);
}, 60_000);

test.each([
  [
    'the core reads a file',
    { 'injection/plan.ts': "import { readFileSync } from 'node:fs';\nexport const r = readFileSync;\n" },
    'core-does-no-io',
  ],
  [
    'the template model logs',
    { 'templates/compile.ts': "import pino from 'pino';\nexport const l = pino;\n" },
    'core-does-no-io',
  ],
  [
    'the core imports a server type',
    {
      'injection/inject.ts': "import type { X } from '../server/app';\nexport type Y = X;\n",
      'server/app.ts': 'export type X = number;\n',
    },
    'injection-imports-only-templates-shared-annotations',
  ],
  [
    'the server reaches into the CLI',
    {
      'server/start.ts': "import { f } from '../cli/flags';\nexport const g = f;\n",
      'cli/flags.ts': 'export const f = 1;\n',
    },
    'server-imports-only',
  ],
  [
    'the server reaches into a source',
    {
      'server/start.ts': "import { S } from '../sources/fileTemplateSource';\nexport const s = S;\n",
      'sources/fileTemplateSource.ts': 'export const S = 1;\n',
    },
    'server-uses-sources-through-their-contract',
  ],
  [
    'two modules import each other',
    {
      'templates/a.ts': "import { b } from './b';\nexport const a = () => b;\n",
      'templates/b.ts': "import { a } from './a';\nexport const b = () => a;\n",
    },
    'no-circular',
  ],
])(
  'a planted violation fails: %s',
  async (_name, files, rule) => {
    const dir = plant(files);
    scratch.push(dir);
    const result = await cruise(dir);
    expect(result.code).not.toBe(0);
    expect(result.output).toContain(`error ${rule}`);
  },
  60_000,
);
