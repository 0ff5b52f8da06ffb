// The control plane's certificates and keys (openssl CLI): a CA, the API server's serving
// certificate, an admin client certificate in system:masters, and the service-account key pair.
import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';

export interface Pki {
  caCert: string;
  serverCert: string;
  serverKey: string;
  adminCert: string;
  adminKey: string;
  saKey: string;
  saPub: string;
  caPem: string;
  adminCertPem: string;
  adminKeyPem: string;
}

export async function makePki(dir: string): Promise<Pki> {
  fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  const f = (name: string): string => path.join(dir, name);
  const days = '7';

  // Constant option words are split from one string; paths and values stay separate arguments.
  const w = (words: string): string[] => words.split(' ');
  await openssl([
    ...w('req -x509 -newkey rsa:2048 -nodes -sha256 -subj /CN=sidecar-injector-e2e-ca -days'),
    days,
    ...w('-addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign,cRLSign,digitalSignature'),
    ...['-keyout', f('ca.key'), '-out', f('ca.crt')],
  ]);

  const leaf = async (name: string, subj: string, ext: string[]): Promise<void> => {
    const key = f(`${name}.key`);
    const csr = f(`${name}.csr`);
    const crt = f(`${name}.crt`);
    const extFile = f(`${name}.ext`);
    await openssl([...w('req -newkey rsa:2048 -nodes -subj'), subj, '-keyout', key, '-out', csr]);
    fs.writeFileSync(extFile, `${ext.join('\n')}\n`);
    await openssl([
      ...w('x509 -req -sha256 -CAcreateserial -days'),
      days,
      ...['-in', csr, '-CA', f('ca.crt'), '-CAkey', f('ca.key'), '-extfile', extFile, '-out', crt],
    ]);
  };

  await leaf('apiserver', '/CN=kube-apiserver', [
    'basicConstraints=critical,CA:FALSE',
    'keyUsage=critical,digitalSignature,keyEncipherment',
    'extendedKeyUsage=serverAuth',
    'subjectAltName=IP:127.0.0.1,IP:10.0.0.1,DNS:localhost,DNS:kubernetes,DNS:kubernetes.default,' +
      'DNS:kubernetes.default.svc,DNS:kubernetes.default.svc.cluster.local',
  ]);
  await leaf('admin', '/O=system:masters/CN=e2e-admin', [
    'basicConstraints=critical,CA:FALSE',
    'keyUsage=critical,digitalSignature,keyEncipherment',
    'extendedKeyUsage=clientAuth',
  ]);

  await openssl(['genpkey', '-algorithm', 'RSA', '-pkeyopt', 'rsa_keygen_bits:2048', '-out', f('sa.key')]);
  await openssl(['pkey', '-in', f('sa.key'), '-pubout', '-out', f('sa.pub')]);

  return {
    caCert: f('ca.crt'),
    serverCert: f('apiserver.crt'),
    serverKey: f('apiserver.key'),
    adminCert: f('admin.crt'),
    adminKey: f('admin.key'),
    saKey: f('sa.key'),
    saPub: f('sa.pub'),
    caPem: fs.readFileSync(f('ca.crt'), 'utf8'),
    adminCertPem: fs.readFileSync(f('admin.crt'), 'utf8'),
    adminKeyPem: fs.readFileSync(f('admin.key'), 'utf8'),
  };
}

function openssl(args: string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    execFile('openssl', args, { timeout: 60_000 }, (err, _stdout, stderr) => {
      if (err) reject(new Error(`openssl ${args.slice(0, 2).join(' ')} failed: ${err.message}\n${stderr}`));
      else resolve();
    });
  });
}

export function kubeconfig(server: string, pki: Pki): string {
  const b64 = (s: string): string => Buffer.from(s).toString('base64');
  return [
    'apiVersion: v1',
    'kind: Config',
    'clusters:',
    '- name: e2e',
    '  cluster:',
    `    server: ${server}`,
    `    certificate-authority-data: ${b64(pki.caPem)}`,
    'users:',
    '- name: e2e-admin',
    '  user:',
    `    client-certificate-data: ${b64(pki.adminCertPem)}`,
    `    client-key-data: ${b64(pki.adminKeyPem)}`,
    'contexts:',
    '- name: e2e',
    '  context:',
    '    cluster: e2e',
    '    user: e2e-admin',
    '    namespace: default',
    'current-context: e2e',
    '',
  ].join('\n');
}
