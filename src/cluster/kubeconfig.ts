// `--kubernetes auto|on|off`: whether to watch SidecarTemplates and Namespaces through the API.
import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import type { KubeConfig } from '@kubernetes/client-node';
import { clientNode } from './clientNode';

export type KubernetesMode = 'auto' | 'on' | 'off';
export const KUBERNETES_MODES: readonly KubernetesMode[] = ['auto', 'on', 'off'];

export interface KubeConfigEnvironment {
  readonly env: NodeJS.ProcessEnv;
  readonly kubeconfigPath?: string;
}

/** Where a configuration can be found, in client-go's order; undefined when there is none. */
function findConfig({ env, kubeconfigPath }: KubeConfigEnvironment): 'cluster' | string | undefined {
  if (kubeconfigPath) return kubeconfigPath;
  if (env.KUBECONFIG) return env.KUBECONFIG;
  if (env.KUBERNETES_SERVICE_HOST && existsSync('/var/run/secrets/kubernetes.io/serviceaccount/token'))
    return 'cluster';
  const home = join(env.HOME ?? homedir(), '.kube', 'config');
  return existsSync(home) ? home : undefined;
}

/**
 * `off`: never. `on`: a configuration must exist (else throws). `auto`: used when one exists.
 */
export function loadKubeConfig(mode: KubernetesMode, where: KubeConfigEnvironment): KubeConfig | undefined {
  if (mode === 'off') return undefined;
  const found = findConfig(where);
  if (!found) {
    if (mode === 'on')
      throw new Error(
        '--kubernetes on, but no kubeconfig (--kubeconfig, KUBECONFIG, ~/.kube/config) or in-cluster configuration was found',
      );
    return undefined;
  }
  // Loaded only now: even bundled, the client and its watches cost memory (README, Performance)
  // that a webhook that reads only template files should not pay.
  const kc = new (clientNode().KubeConfig)();
  if (found === 'cluster') kc.loadFromCluster();
  else kc.loadFromFile(found.split(':')[0] as string);
  return kc;
}
