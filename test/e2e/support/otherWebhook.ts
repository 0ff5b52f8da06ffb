// Another mutating webhook, in-process on 127.0.0.1, to see how ours behaves among others: each
// path adds one container (once) and records every call. With reinvocationPolicy IfNeeded the API
// server calls a webhook again when a later one changed the pod.
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';

export interface OtherWebhookCall {
  readonly path: string;
  readonly namespace: string;
  readonly pod: string;
  /** Container and init container names in the pod this call saw. */
  readonly saw: string[];
}

export interface OtherWebhook {
  readonly port: number;
  readonly calls: OtherWebhookCall[];
  callsFor(path: string, pod: string): OtherWebhookCall[];
  close(): Promise<void>;
}

interface PodObject {
  metadata?: { name?: string };
  spec?: { containers?: Array<{ name: string }>; initContainers?: Array<{ name: string }> };
}

/** `/<name>` adds a container `<name>` unless the pod has one. */
export function startOtherWebhook(tls: { cert: string; key: string }): Promise<OtherWebhook> {
  const calls: OtherWebhookCall[] = [];
  const server: Server = createServer({ cert: tls.cert, key: tls.key }, (req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const path = new URL(req.url ?? '/', 'https://127.0.0.1').pathname;
      const review = JSON.parse(Buffer.concat(chunks).toString('utf8'));
      const request = review.request as { uid: string; namespace: string; object: PodObject };
      const pod = request.object;
      const names = [...(pod.spec?.initContainers ?? []), ...(pod.spec?.containers ?? [])].map((c) => c.name);
      calls.push({ path, namespace: request.namespace, pod: pod.metadata?.name ?? '', saw: names });
      const name = path.slice(1);
      const response: Record<string, unknown> = { uid: request.uid, allowed: true };
      if (!names.includes(name)) {
        const patch = [{ op: 'add', path: '/spec/containers/-', value: { name, image: 'registry.k8s.io/pause:3.10' } }];
        response.patchType = 'JSONPatch';
        response.patch = Buffer.from(JSON.stringify(patch)).toString('base64');
      }
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify({ apiVersion: 'admission.k8s.io/v1', kind: 'AdmissionReview', response }));
    });
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      resolve({
        port: (server.address() as AddressInfo).port,
        calls,
        callsFor: (path, pod) => calls.filter((c) => c.path === path && c.pod === pod),
        close: () =>
          new Promise((done) => {
            server.closeAllConnections();
            server.close(() => done());
          }),
      });
    });
  });
}
