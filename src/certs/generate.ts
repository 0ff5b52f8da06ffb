// A development or bootstrap PKI for the webhook: a self-signed CA and a serving certificate
// for the Service's DNS names, both ECDSA P-256 (cheaper TLS handshakes than RSA).
// @peculiar/x509 resolves its services through tsyringe, which needs the Reflect metadata API.
import 'reflect-metadata';
import { webcrypto } from 'node:crypto';
import { createSecureContext } from 'node:tls';
import * as x509 from '@peculiar/x509';

x509.cryptoProvider.set(webcrypto as unknown as Parameters<typeof x509.cryptoProvider.set>[0]);

const KEY_ALGORITHM = { name: 'ECDSA', namedCurve: 'P-256' } as const;
const SIGNING_ALGORITHM = { name: 'ECDSA', hash: 'SHA-256' } as const;
/** Tolerates clocks a little behind ours. */
const BACKDATE_MS = 5 * 60_000;
const DAY_MS = 24 * 60 * 60_000;

export interface CertificateRequest {
  service: string;
  namespace: string;
  /** Validity of both certificates; default 365. */
  days?: number;
}

export interface GeneratedCertificates {
  /** PEM of the CA certificate: the webhook configuration's caBundle (base64 of it). */
  caCert: string;
  /** PEM of the serving certificate. */
  cert: string;
  /** PEM of the serving key, PKCS#8. */
  key: string;
}

/** Every name the API server or a developer may use to reach the Service. */
export function serviceDnsNames(service: string, namespace: string): string[] {
  return [
    service,
    `${service}.${namespace}`,
    `${service}.${namespace}.svc`,
    `${service}.${namespace}.svc.cluster.local`,
  ];
}

export const LOOPBACK_NAMES = { dns: ['localhost'], ip: ['127.0.0.1', '::1'] } as const;

function serialNumber(): string {
  const bytes = webcrypto.getRandomValues(new Uint8Array(16));
  bytes[0] = ((bytes[0] ?? 0) & 0x7f) | 0x01; // positive and with no leading zero byte
  return Buffer.from(bytes).toString('hex');
}

async function newKeys(): Promise<webcrypto.CryptoKeyPair> {
  return (await webcrypto.subtle.generateKey(KEY_ALGORITHM, true, ['sign', 'verify'])) as webcrypto.CryptoKeyPair;
}

export async function generateCertificates(request: CertificateRequest): Promise<GeneratedCertificates> {
  const days = request.days ?? 365;
  if (!Number.isInteger(days) || days < 1) throw new RangeError(`days must be a positive integer, not ${days}`);
  const notBefore = new Date(Date.now() - BACKDATE_MS);
  const notAfter = new Date(Date.now() + days * DAY_MS);

  const caKeys = await newKeys();
  const ca = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: serialNumber(),
    name: `CN=${request.service}.${request.namespace} webhook CA`,
    notBefore,
    notAfter,
    keys: caKeys,
    signingAlgorithm: SIGNING_ALGORITHM,
    extensions: [
      new x509.BasicConstraintsExtension(true, 0, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
      await x509.SubjectKeyIdentifierExtension.create(caKeys.publicKey),
    ],
  });

  const keys = await newKeys();
  const dnsNames = [...serviceDnsNames(request.service, request.namespace), ...LOOPBACK_NAMES.dns];
  const cert = await x509.X509CertificateGenerator.create({
    serialNumber: serialNumber(),
    subject: `CN=${request.service}.${request.namespace}.svc`,
    issuer: ca.subject,
    notBefore,
    notAfter,
    publicKey: keys.publicKey,
    signingKey: caKeys.privateKey,
    signingAlgorithm: SIGNING_ALGORITHM,
    extensions: [
      new x509.BasicConstraintsExtension(false, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
      new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth]),
      new x509.SubjectAlternativeNameExtension([
        ...dnsNames.map((value) => ({ type: 'dns' as const, value })),
        ...LOOPBACK_NAMES.ip.map((value) => ({ type: 'ip' as const, value })),
      ]),
      await x509.AuthorityKeyIdentifierExtension.create(caKeys.publicKey),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
    ],
  });

  const pkcs8 = await webcrypto.subtle.exportKey('pkcs8', keys.privateKey);
  const generated = {
    caCert: ca.toString('pem'),
    cert: cert.toString('pem'),
    key: x509.PemConverter.encode(pkcs8, 'PRIVATE KEY'),
  };
  // The same check the server makes before it uses a pair: fails on a key that does not match.
  createSecureContext({ cert: generated.cert, key: generated.key, ca: generated.caCert });
  return generated;
}

/** What `caBundle` in a webhook configuration wants: base64 of the CA's PEM. */
export function caBundleOf(caCertPem: string): string {
  return Buffer.from(caCertPem).toString('base64');
}
