// TLS for the webhook port: TLS 1.2 or newer with forward-secret AEAD ciphers only, and a
// serving certificate (with the optional client CA of --client-ca) that is reloaded from disk
// when it changes (watched as runtime/pathWatcher.ts watches a Secret volume).
import { X509Certificate } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { createSecureContext, type SecureContextOptions } from 'node:tls';
import { PathWatcher } from '../runtime/pathWatcher';

export const TLS_MIN_VERSION = 'TLSv1.2';
/** TLS 1.3 suites first (Node disables 1.3 when the list names none), then ECDHE + AEAD for 1.2. */
export const TLS_CIPHERS = [
  'TLS_AES_128_GCM_SHA256',
  'TLS_AES_256_GCM_SHA384',
  'TLS_CHACHA20_POLY1305_SHA256',
  'ECDHE-ECDSA-AES128-GCM-SHA256',
  'ECDHE-RSA-AES128-GCM-SHA256',
  'ECDHE-ECDSA-AES256-GCM-SHA384',
  'ECDHE-RSA-AES256-GCM-SHA384',
  'ECDHE-ECDSA-CHACHA20-POLY1305',
  'ECDHE-RSA-CHACHA20-POLY1305',
].join(':');

export interface KeyPair {
  readonly cert: Buffer;
  readonly key: Buffer;
  /** CA bundle that client certificates are verified against (--client-ca), when set. */
  readonly ca?: Buffer;
}

export interface KeyPairFiles {
  readonly certFile: string;
  readonly keyFile: string;
  readonly caFile?: string;
}

/** Everything a TLS server needs for this pair. `setSecureContext` resets what is not given. */
export function secureContextOptions(pair: KeyPair): SecureContextOptions {
  return {
    cert: pair.cert,
    key: pair.key,
    ...(pair.ca ? { ca: pair.ca } : {}),
    minVersion: TLS_MIN_VERSION,
    ciphers: TLS_CIPHERS,
    honorCipherOrder: true,
  };
}

/** Why a CA bundle cannot verify anything (OpenSSL silently ignores what is not PEM), or undefined. */
function clientCaProblem(ca: Buffer): string | undefined {
  const blocks = ca.toString('utf8').match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? [];
  if (blocks.length === 0) return 'it holds no PEM certificate';
  for (const block of blocks) {
    try {
      new X509Certificate(block);
    } catch (error) {
      return `a certificate in it cannot be read: ${(error as Error).message}`;
    }
  }
  return undefined;
}

/** What is wrong with the files' contents, naming the files, or undefined. */
function filesProblem(files: KeyPairFiles, pair: KeyPair): string | undefined {
  const problem = keyPairProblem(pair);
  if (problem) return `${files.certFile} and ${files.keyFile} are not a usable pair: ${problem}`;
  const caProblem = pair.ca && clientCaProblem(pair.ca);
  if (caProblem) return `the client CA ${files.caFile} is not usable: ${caProblem}`;
  return undefined;
}

function readKeyPair(files: KeyPairFiles): Promise<KeyPair> {
  return Promise.all([
    readFile(files.certFile),
    readFile(files.keyFile),
    files.caFile === undefined ? undefined : readFile(files.caFile),
  ]).then(([cert, key, ca]) => ({ cert, key, ...(ca ? { ca } : {}) }));
}

/** Why the pair cannot serve (unreadable PEM, key not matching the certificate), or undefined. */
export function keyPairProblem(pair: KeyPair): string | undefined {
  try {
    createSecureContext(secureContextOptions(pair));
    return undefined;
  } catch (error) {
    return (error as Error).message;
  }
}

/** The serving certificate's notAfter in seconds since the epoch (the first certificate in the chain). */
export function certificateExpiry(pair: KeyPair): number {
  return Date.parse(new X509Certificate(pair.cert).validTo) / 1000;
}

export type LoadedKeyPair = { ok: true; pair: KeyPair } | { ok: false; message: string };

export async function loadKeyPair(files: KeyPairFiles): Promise<LoadedKeyPair> {
  let pair: KeyPair;
  try {
    pair = await readKeyPair(files);
  } catch (error) {
    return { ok: false, message: `cannot read the certificate, key or client CA: ${(error as Error).message}` };
  }
  const problem = filesProblem(files, pair);
  return problem ? { ok: false, message: problem } : { ok: true, pair };
}

export interface CertificateWatcherOptions extends KeyPairFiles {
  /** The pair being served now; only a different one is reported. */
  readonly current: KeyPair;
  readonly onReload: (pair: KeyPair) => void;
  readonly onRejected: (message: string) => void;
  readonly pollIntervalMs?: number;
  /** Lets a writer that replaces the two files one by one finish before they are read. */
  readonly settleMs?: number;
}

/**
 * Reports each new, valid pair once and each new, broken pair once; a broken pair leaves the
 * current one in service. It never keeps the process alive.
 */
export class CertificateWatcher {
  private readonly paths: PathWatcher;
  private served: KeyPair;
  private rejected: KeyPair | undefined;
  private checking: Promise<void> | undefined;
  private stopped = false;

  constructor(private readonly options: CertificateWatcherOptions) {
    this.served = options.current;
    const { certFile, keyFile, caFile } = options;
    this.paths = new PathWatcher({
      dirs: [certFile, keyFile, ...(caFile ? [caFile] : [])].map((f) => dirname(f)),
      pollIntervalMs: options.pollIntervalMs ?? 2000,
      debounceMs: options.settleMs ?? 200,
      onChange: () => void this.check(),
    });
  }

  start(): void {
    this.paths.start();
  }

  stop(): void {
    this.stopped = true;
    this.paths.stop();
  }

  /** Reads both files and reports a change; concurrent calls share one check. */
  check(): Promise<void> {
    this.checking ??= this.compare().finally(() => {
      this.checking = undefined;
    });
    return this.checking;
  }

  private async compare(): Promise<void> {
    let pair: KeyPair;
    try {
      pair = await readKeyPair(this.options);
    } catch {
      return; // In the middle of a swap, or gone for now: the served pair stays.
    }
    if (this.stopped || samePair(pair, this.served) || (this.rejected && samePair(pair, this.rejected))) return;
    const problem = filesProblem(this.options, pair);
    if (problem) {
      this.rejected = pair;
      this.options.onRejected(`${problem}; still serving the previous certificate`);
      return;
    }
    this.served = pair;
    this.rejected = undefined;
    this.options.onReload(pair);
  }
}

function samePair(a: KeyPair, b: KeyPair): boolean {
  const sameCa = a.ca && b.ca ? a.ca.equals(b.ca) : a.ca === b.ca;
  return a.cert.equals(b.cert) && a.key.equals(b.key) && sameCa;
}
