import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { modulesLoadedBy } from '../../support/loadedModules';
import { cli } from './support';

describe('the sidecar-injector command', () => {
  it.each(['render', 'validate', 'drift', 'certs'])('%s --help prints its flags and exits 0', async (command) => {
    const run = await cli([command, '--help']);
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(new RegExp(`^Usage: sidecar-injector ${command} `));
    expect(run.stdout).toContain('SIDECAR_INJECTOR_');
    expect(run.stderr).toBe('');
  });

  it('serve --help exits 0 without starting anything', async () => {
    const write = process.stdout.write;
    let printed = '';
    process.stdout.write = ((chunk: string) => {
      printed += chunk;
      return true;
    }) as typeof process.stdout.write;
    try {
      expect((await cli(['serve', '--help'])).code).toBe(0);
    } finally {
      process.stdout.write = write;
    }
    expect(printed).toMatch(/^Usage: sidecar-injector serve/);
  });

  it('help COMMAND is the same as COMMAND --help', async () => {
    expect(await cli(['help', 'render'])).toEqual(await cli(['render', '--help']));
  });

  it.each([['--help'], ['-h'], ['help']])('%s lists the commands', async (flag) => {
    const run = await cli([flag]);
    expect(run.code).toBe(0);
    for (const command of ['serve', 'render', 'validate', 'drift', 'certs'])
      expect(run.stdout).toMatch(new RegExp(`^  ${command} `, 'm'));
  });

  it('--version prints the package version', async () => {
    const { version } = JSON.parse(readFileSync(join(__dirname, '../../../package.json'), 'utf8'));
    expect(await cli(['--version'])).toEqual({ code: 0, stdout: `${version}\n`, stderr: '' });
  });

  it.each([
    [[], /a command is required/, 'sidecar-injector --help'],
    [['deploy'], /unknown command "deploy"/, 'sidecar-injector --help'],
    [['render', '--no-such-flag'], /no-such-flag/, 'sidecar-injector render --help'],
    [
      ['render', '-f', 'x.yaml', '-o', 'xml'],
      /--output: "xml" is not one of yaml, json, patch/,
      'sidecar-injector render --help',
    ],
    [['certs', '--namespace', 'ns'], /--service is required/, 'sidecar-injector certs --help'],
  ])('usage error %j exits 2 with a hint', async (argv, message, hint) => {
    const run = await cli(argv);
    expect(run.code).toBe(2);
    expect(run.stdout).toBe('');
    expect(run.stderr).toMatch(message);
    expect(run.stderr).toContain(`Run '${hint}' for usage.`);
  });

  it('reports a usage error in an environment variable the same way', async () => {
    const run = await cli(['render', '-f', 'x.yaml'], { env: { SIDECAR_INJECTOR_NATIVE_SIDECARS: 'sometimes' } });
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/--native-sidecars: "sometimes" is not one of auto, always, never/);
  });

  it('starts the built binary with a shebang', () => {
    expect(readFileSync(join(__dirname, '../../../src/cli/main.ts'), 'utf8').split('\n')[0]).toBe(
      '#!/usr/bin/env node',
    );
  });

  it('loads only the command it runs: serve leaves out the certificate library and render', () => {
    // The built binary (npm test builds first).
    const main = join(__dirname, '../../../dist/src/cli/main.js');
    const serve = modulesLoadedBy([main, 'serve', '--help']).join('\n');
    expect(serve).toMatch(/dist\/src\/cli\/serve\.js/);
    expect(serve).not.toMatch(
      /@peculiar\/x509|dist\/src\/cli\/(certs|render|validate|drift|serveDriftReport)\.js|dist\/src\/drift\//,
    );
    expect(modulesLoadedBy([main, 'certs', '--help']).join('\n')).toMatch(/@peculiar\/x509/);
  });
});
