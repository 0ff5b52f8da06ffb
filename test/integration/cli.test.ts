// `sidecar-injector serve` refuses to start, with a message and exit code, on what it cannot use.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { makeCertificate } from './support/certs';
import { spawnServe } from './support/child';

const dir = mkdtempSync(join(tmpdir(), 'si-cli-'));
const cert = join(dir, 'tls.crt');
const otherKey = join(dir, 'other.key');
const pair = makeCertificate('cli');
writeFileSync(cert, pair.cert);
writeFileSync(join(dir, 'tls.key'), pair.key);
writeFileSync(otherKey, makeCertificate('other').key);

const common = ['--port', '0', '--metrics-port', '0', '--bind-address', '127.0.0.1', '--templates-dir', dir];
const cases = {
  missingCert: ['--tls-cert', join(dir, 'missing.crt'), '--tls-key', join(dir, 'tls.key')],
  mismatchedKey: ['--tls-cert', cert, '--tls-key', otherKey],
  kubernetesOn: ['--kubernetes', 'on', '--tls-cert', cert, '--tls-key', join(dir, 'tls.key')],
  badFlag: ['--body-limit', 'lots'],
};
type Result = { code: number | null; messages: string; stderr: string };
const results: Partial<Record<keyof typeof cases, Result>> = {};

// The children start in parallel; each test reads its own result.
beforeAll(async () => {
  await Promise.all(
    Object.entries(cases).map(async ([name, args]) => {
      const serve = spawnServe([...common, ...args]);
      try {
        const { code } = await serve.exited;
        results[name as keyof typeof cases] = {
          code,
          messages: serve.logs.map((l) => l.msg).join('\n'),
          stderr: serve.stderr(),
        };
      } finally {
        serve.kill();
      }
    }),
  );
}, 30_000);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

test('a missing certificate: exit 1, naming the file', () => {
  expect(results.missingCert?.code).toBe(1);
  expect(results.missingCert?.messages).toMatch(/missing\.crt/);
});

test('a key that does not match the certificate: exit 1, naming both files', () => {
  expect(results.mismatchedKey?.code).toBe(1);
  expect(results.mismatchedKey?.messages).toMatch(/tls\.crt and .*other\.key are not a usable pair/);
});

test('--kubernetes on without a cluster source: exit 1 with the reason', () => {
  expect(results.kubernetesOn?.code).toBe(1);
  expect(results.kubernetesOn?.messages).toMatch(/--kubernetes on/);
});

test('a bad flag value: exit 2 with usage on stderr', () => {
  expect(results.badFlag?.code).toBe(2);
  expect(results.badFlag?.stderr).toMatch(/--body-limit: "lots" is not a size/);
});
