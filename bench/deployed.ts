// What the shipped Deployment runs with, so that the memory section measures that and not a
// setting of its own: the NODE_OPTIONS of deploy/base/deployment.yaml, and --kubernetes on
// against a stand-in API server (client-node and the informers are a third of the webhook's RSS).
import { readFileSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { HOST } from './servers';

const DEPLOYMENT = join(__dirname, '..', '..', 'deploy', 'base', 'deployment.yaml');

interface EnvVar {
  readonly name: string;
  readonly value?: string;
}

/** The Node flags the base Deployment sets through NODE_OPTIONS. */
export function deployedNodeFlags(file = DEPLOYMENT): string[] {
  for (const document of parseAllDocuments(readFileSync(file, 'utf8'))) {
    const object = document.toJS() as {
      kind?: string;
      spec?: { template?: { spec?: { containers?: Array<{ env?: EnvVar[] }> } } };
    } | null;
    if (object?.kind !== 'Deployment') continue;
    for (const container of object.spec?.template?.spec?.containers ?? []) {
      const options = container.env?.find((e) => e.name === 'NODE_OPTIONS')?.value;
      if (options !== undefined) return options.split(/\s+/).filter(Boolean);
    }
  }
  throw new Error(`${file}: no container of its Deployment sets NODE_OPTIONS`);
}

export interface StubApiServer {
  /** A kubeconfig that points at it. */
  readonly kubeconfig: string;
  stop(): Promise<void>;
}

/**
 * Just enough of a Kubernetes API server for `serve --kubernetes on` to become ready: its
 * version, a list of namespaces, an empty list of SidecarTemplates, and watches that stay open
 * without events. Plain HTTP on 127.0.0.1, in the bench's process; it is idle once the lists
 * are served.
 */
export async function startStubApiServer(workDir: string): Promise<StubApiServer> {
  const watches = new Set<ServerResponse>();
  const server = createServer((request: IncomingMessage, response: ServerResponse) => {
    const url = new URL(request.url ?? '/', `http://${HOST}`);
    response.setHeader('content-type', 'application/json');
    if (url.searchParams.get('watch') === 'true') {
      response.writeHead(200);
      response.flushHeaders();
      watches.add(response);
      response.once('close', () => watches.delete(response));
      return;
    }
    const answer = answerFor(url.pathname);
    response.statusCode = answer ? 200 : 404;
    response.end(JSON.stringify(answer ?? { kind: 'Status', code: 404 }));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, HOST, resolve);
  });
  const { port } = server.address() as { port: number };
  const kubeconfig = join(workDir, 'stub-kubeconfig.yaml');
  writeFileSync(
    kubeconfig,
    [
      'apiVersion: v1',
      'kind: Config',
      `clusters: [{name: stub, cluster: {server: "http://${HOST}:${port}", insecure-skip-tls-verify: true}}]`,
      'users: [{name: bench, user: {token: bench}}]',
      'contexts: [{name: stub, context: {cluster: stub, user: bench}}]',
      'current-context: stub',
      '',
    ].join('\n'),
  );
  return {
    kubeconfig,
    stop: () =>
      new Promise((resolve) => {
        for (const watch of watches) watch.destroy();
        server.close(() => resolve());
      }),
  };
}

function answerFor(path: string): object | undefined {
  const list = (kind: string, apiVersion: string, items: object[]) => ({
    kind,
    apiVersion,
    metadata: { resourceVersion: '1' },
    items,
  });
  if (path === '/version') return { major: '1', minor: '34', gitVersion: 'v1.34.0-bench-stub' };
  if (path === '/api/v1/namespaces') {
    return list('NamespaceList', 'v1', [
      { metadata: { name: 'shop', labels: { 'kubernetes.io/metadata.name': 'shop' } } },
    ]);
  }
  if (path === '/apis/sidecar.injector.dev/v1alpha1/sidecartemplates') {
    return list('SidecarTemplateList', 'sidecar.injector.dev/v1alpha1', []);
  }
  return undefined;
}
