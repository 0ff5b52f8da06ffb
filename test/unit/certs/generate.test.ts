// @peculiar/x509 needs the Reflect metadata API before it loads.
import 'reflect-metadata';
import { createSecureContext } from 'node:tls';
import * as x509 from '@peculiar/x509';
import { caBundleOf, generateCertificates } from '../../../src/certs/generate';

describe('generateCertificates', () => {
  let generated: Awaited<ReturnType<typeof generateCertificates>>;
  let ca: x509.X509Certificate;
  let cert: x509.X509Certificate;
  beforeAll(async () => {
    generated = await generateCertificates({ service: 'sidecar-injector', namespace: 'tools', days: 10 });
    ca = new x509.X509Certificate(generated.caCert);
    cert = new x509.X509Certificate(generated.cert);
  });

  it("covers the Service's DNS names, localhost and the loopback addresses", () => {
    const san = cert.getExtension(x509.SubjectAlternativeNameExtension);
    expect(san?.names.toJSON()).toEqual([
      { type: 'dns', value: 'sidecar-injector' },
      { type: 'dns', value: 'sidecar-injector.tools' },
      { type: 'dns', value: 'sidecar-injector.tools.svc' },
      { type: 'dns', value: 'sidecar-injector.tools.svc.cluster.local' },
      { type: 'dns', value: 'localhost' },
      { type: 'ip', value: '127.0.0.1' },
      { type: 'ip', value: '::1' },
    ]);
  });

  it('is a serving certificate signed by a CA certificate', async () => {
    expect(cert.getExtension(x509.ExtendedKeyUsageExtension)?.usages).toEqual([x509.ExtendedKeyUsage.serverAuth]);
    expect(cert.getExtension(x509.BasicConstraintsExtension)?.ca).toBe(false);
    expect(cert.issuer).toBe(ca.subject);
    expect(await cert.verify({ publicKey: ca.publicKey, signatureOnly: true })).toBe(true);

    expect(ca.getExtension(x509.BasicConstraintsExtension)?.ca).toBe(true);
    const usages = ca.getExtension(x509.KeyUsagesExtension)?.usages ?? 0;
    expect(usages & x509.KeyUsageFlags.keyCertSign).toBeTruthy();
    expect(await ca.isSelfSigned()).toBe(true);
  });

  it('uses ECDSA P-256 keys and the requested validity', () => {
    expect(cert.publicKey.algorithm).toMatchObject({ name: 'ECDSA', namedCurve: 'P-256' });
    const days = (cert.notAfter.getTime() - Date.now()) / 86_400_000;
    expect(days).toBeGreaterThan(9.9);
    expect(days).toBeLessThanOrEqual(10);
    expect(cert.notBefore.getTime()).toBeLessThan(Date.now());
  });

  it('gives a key that node:tls accepts with the certificate, and no other', async () => {
    expect(() => createSecureContext({ cert: generated.cert, key: generated.key })).not.toThrow();
    const other = await generateCertificates({ service: 'other', namespace: 'tools' });
    expect(() => createSecureContext({ cert: generated.cert, key: other.key })).toThrow();
  });

  it('makes the caBundle from the CA PEM', () => {
    expect(Buffer.from(caBundleOf(generated.caCert), 'base64').toString()).toBe(generated.caCert);
  });

  it('rejects a validity that is not a positive whole number of days', async () => {
    await expect(generateCertificates({ service: 's', namespace: 'n', days: 0 })).rejects.toThrow(/days/);
  });
});
