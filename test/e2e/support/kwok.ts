// Simulated nodes: Node objects that kwok (test/e2e/controlplane/kwok.sh) keeps Ready, and on
// which it plays the pod lifecycle of test/e2e/controlplane/kwok/stages.yaml instead of a
// kubelet: bound pods become Running and Ready, a Job's pods then succeed, deleted pods go.
import type { CommandResult } from './processes';
import { type ManagedProcess, waitFor } from './processes';

/** The annotation kwok is started to manage nodes by (--manage-nodes-with-annotation-selector). */
export const KWOK_NODE_ANNOTATION = 'kwok.x-k8s.io/node';

export function kwokNode(name: string): unknown {
  return {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: {
      name,
      annotations: { [KWOK_NODE_ANNOTATION]: 'fake' },
      labels: {
        'kubernetes.io/hostname': name,
        'kubernetes.io/os': 'linux',
        'kubernetes.io/arch': 'amd64',
        type: 'kwok',
      },
    },
    spec: {},
  };
}

interface KwokStart {
  kwok: ManagedProcess;
  kubectl: (args: string[], opts?: { input?: string }) => Promise<CommandResult>;
  count: number;
  log: (line: string) => void;
}

/** Creates `count` nodes for a running kwok and resolves with their names once all are Ready. */
export async function startKwok({ kwok, kubectl, count, log }: KwokStart): Promise<string[]> {
  const names = Array.from({ length: count }, (_, i) => `kwok-node-${i}`);
  log(`control plane: kwok, ${count} simulated node(s)`);
  const list = { apiVersion: 'v1', kind: 'List', items: names.map(kwokNode) };
  const created = await kubectl(['create', '-f', '-'], { input: JSON.stringify(list) });
  if (created.code !== 0) throw new Error(`creating the kwok nodes failed:\n${created.stderr}`);
  await waitFor(`${count} Ready node(s)`, 60_000, [kwok], async () => {
    const got = await kubectl(['get', 'nodes', '-o', 'json']);
    if (got.code !== 0) return false;
    const nodes = JSON.parse(got.stdout).items as Array<{
      status?: { conditions?: Array<{ type: string; status: string }> };
    }>;
    const ready = nodes.filter((n) => n.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True'));
    return ready.length >= count;
  });
  return names;
}
