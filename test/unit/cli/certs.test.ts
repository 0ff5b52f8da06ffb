import { readFileSync, statSync } from 'node:fs';
import { createSecureContext } from 'node:tls';
import { cli, tempDir } from './support';

describe('certs', () => {
  const out = tempDir();
  afterAll(() => out.cleanup());

  it('writes ca.crt, tls.crt and tls.key and prints the caBundle on stdout', async () => {
    const dir = out.path('nested/certs');
    const run = await cli(['certs', '--service', 'injector', '--namespace', 'tools', '--out', dir, '--days', '30']);
    expect(run.code).toBe(0);
    const ca = readFileSync(`${dir}/ca.crt`, 'utf8');
    expect(run.stdout).toBe(`${Buffer.from(ca).toString('base64')}\n`);
    expect(run.stderr).toContain('injector.tools.svc');
    expect(statSync(`${dir}/tls.key`).mode & 0o777).toBe(0o600);
    const cert = readFileSync(`${dir}/tls.crt`, 'utf8');
    const key = readFileSync(`${dir}/tls.key`, 'utf8');
    expect(key).toMatch(/^-----BEGIN PRIVATE KEY-----/);
    expect(() => createSecureContext({ cert, key, ca })).not.toThrow();
  });

  it('reads its flags from the environment', async () => {
    const dir = out.path('from-env');
    const run = await cli(['certs'], {
      env: { SIDECAR_INJECTOR_SERVICE: 'hook', SIDECAR_INJECTOR_NAMESPACE: 'ns', SIDECAR_INJECTOR_OUT: dir },
    });
    expect(run.code).toBe(0);
    expect(readFileSync(`${dir}/tls.crt`, 'utf8')).toMatch(/^-----BEGIN CERTIFICATE-----/);
  });

  it.each([
    [['--service', 'Bad_Name', '--namespace', 'ns'], /--service: "Bad_Name" must be a DNS label/],
    [['--service', 'hook'], /--namespace is required/],
    [['--service', 'hook', '--namespace', 'ns', '--days', '0'], /--days: "0" must be a whole number/],
  ])('rejects %j as a usage error', async (args, message) => {
    const run = await cli(['certs', '--out', out.path('never'), ...args]);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(message);
  });
});
