// The webhook's TLS: versions and ciphers, and the serving certificate replaced on disk.
import { X509Certificate } from 'node:crypto';
import { type ConnectionOptions, connect } from 'node:tls';
import { makeCertificate } from './support/certs';
import { call, metricValue, postJson } from './support/http';
import { pod, review } from './support/reviews';
import { eventually, startTestServer, type TestServer } from './support/server';

let t: TestServer;
beforeAll(async () => {
  t = await startTestServer();
});
afterAll(() => t.close());

/** Connects, and says which protocol was agreed or which error ended the handshake. */
function handshake(options: ConnectionOptions): Promise<{ protocol?: string | null; error?: string }> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port: t.port, ca: t.ca, servername: 'localhost', ...options }, () => {
      resolve({ protocol: socket.getProtocol() });
      socket.end();
    });
    socket.on('error', (error: NodeJS.ErrnoException) => resolve({ error: error.code ?? error.message }));
  });
}

describe('TLS versions and ciphers', () => {
  test('TLS 1.1 is refused by the server', async () => {
    // The client side is made willing to speak 1.1 (OpenSSL 3 refuses it at its default level).
    const result = await handshake({ minVersion: 'TLSv1.1', maxVersion: 'TLSv1.1', ciphers: 'DEFAULT@SECLEVEL=0' });
    expect(result.error).toBe('ERR_SSL_TLSV1_ALERT_PROTOCOL_VERSION');
  });

  test('TLS 1.2 and TLS 1.3 are accepted', async () => {
    expect(await handshake({ minVersion: 'TLSv1.2', maxVersion: 'TLSv1.2' })).toEqual({ protocol: 'TLSv1.2' });
    expect(await handshake({ minVersion: 'TLSv1.3' })).toEqual({ protocol: 'TLSv1.3' });
  });

  test('TLS 1.2 without forward secrecy or AEAD is refused', async () => {
    for (const ciphers of ['AES128-SHA', 'AES256-GCM-SHA384', 'ECDHE-ECDSA-AES128-SHA']) {
      const result = await handshake({ maxVersion: 'TLSv1.2', ciphers });
      // The handshake_failure alert; OpenSSL 3.5 (Node 24, the image's runtime) names it SSL/TLS.
      expect(result.error).toMatch(/^ERR_SSL_(SSLV3|SSL\/TLS)_ALERT_HANDSHAKE_FAILURE$/);
    }
    expect(await handshake({ maxVersion: 'TLSv1.2', ciphers: 'ECDHE-ECDSA-CHACHA20-POLY1305' })).toEqual({
      protocol: 'TLSv1.2',
    });
  });
});

describe('certificate rotation', () => {
  const reloads = (result: string) =>
    metricValue(t.metricsPort, 'sidecar_injector_certificate_reloads_total', { result });
  const servedName = async () => (await call(t.port, '/healthz', { ca: t.ca })).peerCommonName;
  const expiry = () => metricValue(t.metricsPort, 'sidecar_injector_certificate_expiry_timestamp_seconds');
  const notAfter = (pem: string) => Date.parse(new X509Certificate(pem).validTo) / 1000;

  test('a new pair on disk is served on new connections, with no failed request in between', async () => {
    expect(await servedName()).toBe('first');
    expect(await expiry()).toBe(notAfter(t.ca[0] as string));
    const before = await reloads('success');
    const next = makeCertificate('second', 30);
    t.useCertificate(next);
    // Requests keep succeeding while the swap happens; the answer's certificate changes once.
    const seen = await eventually(async () => {
      const answer = await postJson(t.port, review(pod()), t.ca);
      expect(answer.status).toBe(200);
      return answer.peerCommonName === 'second' ? answer.peerCommonName : undefined;
    }, 'the new certificate');
    expect(seen).toBe('second');
    expect(await reloads('success')).toBe(before + 1);
    // The expiry gauge follows the certificate in use (30 days instead of 2).
    expect(await expiry()).toBe(notAfter(next.cert));
    expect(notAfter(next.cert) - notAfter(t.ca[0] as string)).toBeGreaterThan(27 * 86400);
  });

  test('a broken pair is refused: the previous certificate stays, the failure is counted and logged', async () => {
    const current = await servedName();
    const before = await reloads('failure');
    const other = makeCertificate('mismatched');
    // A certificate with somebody else's key.
    const { writeFileSync, readFileSync } = await import('node:fs');
    const oldKey = readFileSync(t.keyFile, 'utf8');
    writeFileSync(t.certFile, other.cert);
    writeFileSync(t.keyFile, oldKey);
    await eventually(async () => ((await reloads('failure')) > before ? true : undefined), 'the refusal');
    expect(await servedName()).toBe(current);
    // A refused pair leaves the expiry of the pair still in use.
    expect(await expiry()).toBe(notAfter(t.ca[t.ca.length - 1] as string));
    expect(t.logs.some((l) => l.level === 50 && /not a usable pair/.test(l.msg))).toBe(true);
    // Garbage in both files is refused too, and the server keeps answering.
    writeFileSync(t.certFile, 'not a certificate');
    writeFileSync(t.keyFile, 'not a key');
    await eventually(async () => ((await reloads('failure')) > before + 1 ? true : undefined), 'the second refusal');
    expect((await postJson(t.port, review(pod()), t.ca)).status).toBe(200);
    expect(await servedName()).toBe(current);
  });

  test('an open keep-alive connection survives a reload', async () => {
    const { Agent } = await import('node:https');
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    const trusted = [...t.ca]; // the same options each time, so the agent reuses its socket
    const first = await call(t.port, '/healthz', { ca: trusted, agent });
    const next = makeCertificate('third');
    t.useCertificate(next);
    await eventually(async () => ((await servedName()) === 'third' ? true : undefined), 'the third certificate');
    // The pooled connection still speaks the certificate it was opened with.
    const again = await call(t.port, '/healthz', { ca: trusted, agent });
    expect(again.status).toBe(200);
    expect(again.peerCommonName).toBe(first.peerCommonName);
    agent.destroy();
  });
});
