// Which CommonJS modules a fresh Node process loads: for tests that keep heavy dependencies out
// of the server. (For ES modules loaded with require(), only the entry point is listed.)
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * Runs `node ...args` and returns the paths in its require.cache as it exits. Throws unless it
 * exits 0 with nothing on stderr (a deprecation warning, say).
 */
export function modulesLoadedBy(args: readonly string[]): string[] {
  const dir = mkdtempSync(join(tmpdir(), 'loaded-'));
  try {
    const preload = join(dir, 'list.js');
    writeFileSync(
      preload,
      "process.on('exit', () => process.stderr.write('\\0' + Object.keys(require.cache).join('\\n')));",
    );
    const run = spawnSync(process.execPath, ['--require', preload, ...args], { encoding: 'utf8' });
    const [stderr, list = ''] = run.stderr.split('\0');
    if (run.status !== 0 || stderr !== '') throw new Error(`node ${args.join(' ')} exited ${run.status}: ${stderr}`);
    return list.split('\n');
  } finally {
    rmSync(dir, { recursive: true });
  }
}
