// Self-signed serving certificates for 127.0.0.1, made with the openssl CLI. Each is its own CA,
// so a client that trusts it verifies the server for real.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface TestCertificate {
  readonly cert: string;
  readonly key: string;
  readonly commonName: string;
}

export function makeCertificate(commonName: string, days = 2): TestCertificate {
  const dir = mkdtempSync(join(tmpdir(), 'si-cert-'));
  const cert = join(dir, 'tls.crt');
  const key = join(dir, 'tls.key');
  execFileSync(
    'openssl',
    [
      'req',
      '-x509',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:P-256',
      '-nodes',
      '-days',
      String(days),
      '-subj',
      `/CN=${commonName}`,
      '-addext',
      'subjectAltName=IP:127.0.0.1,DNS:localhost',
      '-keyout',
      key,
      '-out',
      cert,
    ],
    { stdio: 'pipe' },
  );
  return { cert: readFileSync(cert, 'utf8'), key: readFileSync(key, 'utf8'), commonName };
}

export interface TestCa {
  /** PEM of the CA certificate: what `--client-ca` trusts. */
  readonly cert: string;
  /** A client certificate (clientAuth) signed by this CA. */
  issueClient(commonName: string): TestCertificate;
}

/** A CA that signs client certificates, for `--client-ca` tests. */
export function makeCa(commonName: string): TestCa {
  const dir = mkdtempSync(join(tmpdir(), 'si-ca-'));
  const openssl = (args: string[]) => execFileSync('openssl', args, { stdio: 'pipe', cwd: dir });
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes'];
  openssl(['req', '-x509', ...ec, '-days', '2', '-subj', `/CN=${commonName}`, '-keyout', 'ca.key', '-out', 'ca.crt']);
  writeFileSync(join(dir, 'client.ext'), 'basicConstraints=CA:FALSE\nextendedKeyUsage=clientAuth\n');
  let issued = 0;
  return {
    cert: readFileSync(join(dir, 'ca.crt'), 'utf8'),
    issueClient(clientName) {
      const name = `client-${++issued}`;
      openssl(['req', ...ec, '-subj', `/CN=${clientName}`, '-keyout', `${name}.key`, '-out', `${name}.csr`]);
      openssl([
        ...['x509', '-req', '-in', `${name}.csr`, '-CA', 'ca.crt', '-CAkey', 'ca.key', '-set_serial', `${Date.now()}`],
        ...['-days', '2', '-extfile', 'client.ext', '-out', `${name}.crt`],
      ]);
      return {
        cert: readFileSync(join(dir, `${name}.crt`), 'utf8'),
        key: readFileSync(join(dir, `${name}.key`), 'utf8'),
        commonName: clientName,
      };
    },
  };
}
