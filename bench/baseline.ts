// The floor for this stack: fastify over HTTPS with the webhook's TLS settings and body limit,
// reading the body as bytes and JSON.parse-ing the AdmissionReview, answering allowed with its
// uid. No injection, no logging, no metrics. Run as its own process by the bench:
//   node dist/bench/baseline.js --port N --tls-cert FILE --tls-key FILE [--bind-address 127.0.0.1]
import { readFileSync } from 'node:fs';
import fastify from 'fastify';
import { type FlagSpec, parseFlags } from '../src/cli/flags';
import { secureContextOptions } from '../src/server/tls';

const FLAGS: readonly FlagSpec[] = [
  { name: 'port', kind: 'string', default: '0', description: 'HTTPS port' },
  { name: 'bind-address', kind: 'string', default: '127.0.0.1', description: 'Address to listen on' },
  { name: 'tls-cert', kind: 'string', description: 'Serving certificate (PEM)' },
  { name: 'tls-key', kind: 'string', description: 'Its private key (PEM)' },
];

async function main(): Promise<void> {
  const { values } = parseFlags(FLAGS, process.argv.slice(2), {});
  const pair = { cert: readFileSync(values['tls-cert'] as string), key: readFileSync(values['tls-key'] as string) };
  const app = fastify({ bodyLimit: 3 * 1024 * 1024, https: secureContextOptions(pair) });
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'buffer' }, (_request, body, done) => done(null, body));
  app.post('/mutate', async (request) => {
    const review = JSON.parse((request.body as Buffer).toString('utf8')) as { request: { uid: string } };
    return {
      apiVersion: 'admission.k8s.io/v1',
      kind: 'AdmissionReview',
      response: { uid: review.request.uid, allowed: true },
    };
  });
  app.get('/readyz', async () => ({ ready: true }));
  await app.listen({ port: Number(values.port), host: values['bind-address'] as string });
  const stop = () => void app.close().then(() => process.exit(0));
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
}

main().catch((error: Error) => {
  process.stderr.write(`baseline: ${error.stack ?? error.message}\n`);
  process.exit(1);
});
