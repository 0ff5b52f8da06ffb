// `sidecar-injector certs`: a CA and a serving certificate for the webhook's Service, written as
// ca.crt, tls.crt and tls.key; stdout is only the caBundle, so scripts can capture it.
import { chmod, mkdir, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { caBundleOf, generateCertificates, LOOPBACK_NAMES, serviceDnsNames } from '../certs/generate';
import { dnsLabelProblem } from '../templates/kubernetesTypes';
import { type FlagSpec, helpText, parseFlags, UsageError } from './flags';
import type { CliIO } from './io';

const FLAGS: readonly FlagSpec[] = [
  { name: 'service', kind: 'string', description: "Name of the webhook's Service (required)" },
  { name: 'namespace', short: 'n', kind: 'string', description: "The Service's namespace (required)" },
  { name: 'out', kind: 'string', default: 'certs', description: 'Directory to write ca.crt, tls.crt and tls.key to' },
  { name: 'days', kind: 'string', default: '365', description: 'Validity of the certificates in days' },
];

export const CERTS_HELP = helpText(
  'sidecar-injector certs --service NAME --namespace NS [--out DIR] [--days N]',
  'Generates a self-signed CA and an ECDSA P-256 serving certificate for NAME, NAME.NS, NAME.NS.svc,\n' +
    'NAME.NS.svc.cluster.local, localhost, 127.0.0.1 and ::1. Writes ca.crt, tls.crt and tls.key\n' +
    '(the key with mode 0600) and prints the caBundle (base64 of ca.crt) for the webhook configuration.',
  FLAGS,
);

function required(value: unknown, flag: string): string {
  if (typeof value !== 'string' || value === '') throw new UsageError(`--${flag} is required`);
  const problem = dnsLabelProblem(value);
  if (problem) throw new UsageError(`--${flag}: ${problem}`);
  return value;
}

/** Written beside the target and renamed, so a watcher never reads half a file. */
async function writeAtomically(path: string, content: string, mode: number): Promise<void> {
  const temporary = `${path}.${process.pid}.tmp`;
  await writeFile(temporary, content, { mode });
  await chmod(temporary, mode);
  await rename(temporary, path);
}

export async function runCerts(argv: readonly string[], io: CliIO): Promise<number> {
  const { values } = parseFlags(FLAGS, argv, io.env);
  if (values.help) {
    io.stdout.write(CERTS_HELP);
    return 0;
  }
  const service = required(values.service, 'service');
  const namespace = required(values.namespace, 'namespace');
  const daysText = String(values.days);
  const days = Number(daysText);
  if (!/^\d+$/.test(daysText) || days < 1 || days > 36500)
    throw new UsageError(`--days: ${JSON.stringify(daysText)} must be a whole number from 1 to 36500`);
  const out = values.out as string;

  const generated = await generateCertificates({ service, namespace, days });
  await mkdir(out, { recursive: true });
  // Key first, certificate last: a server that reloads in between refuses the mismatched pair
  // and keeps its old one until tls.crt arrives.
  await writeAtomically(join(out, 'tls.key'), generated.key, 0o600);
  await writeAtomically(join(out, 'ca.crt'), generated.caCert, 0o644);
  await writeAtomically(join(out, 'tls.crt'), generated.cert, 0o644);

  const names = [...serviceDnsNames(service, namespace), ...LOOPBACK_NAMES.dns, ...LOOPBACK_NAMES.ip];
  io.stderr.write(
    `Wrote ${join(out, 'ca.crt')}, ${join(out, 'tls.crt')} and ${join(out, 'tls.key')}, valid ${days} days for ${names.join(', ')}\n`,
  );
  io.stdout.write(`${caBundleOf(generated.caCert)}\n`);
  return 0;
}
