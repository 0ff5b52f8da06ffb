// Namespace labels from a watch, answered from memory.
import type { KubernetesObject } from '@kubernetes/client-node';
import type { NamespaceLabelSource } from '../admission/decide';
import { NAMESPACE_NAME_LABEL } from '../annotations';
import type { Labels } from '../templates/labelSelector';

export class WatchedNamespaceLabels implements NamespaceLabelSource {
  private labels = new Map<string, Labels>();

  update(namespaces: readonly KubernetesObject[]): void {
    const next = new Map<string, Labels>();
    for (const ns of namespaces) {
      const name = ns.metadata?.name;
      if (name) next.set(name, Object.freeze({ ...(ns.metadata?.labels ?? {}), [NAMESPACE_NAME_LABEL]: name }));
    }
    this.labels = next;
  }

  /** A namespace not seen yet (created a moment ago) has only its name label. */
  labelsOf(namespace: string): Labels {
    return this.labels.get(namespace) ?? { [NAMESPACE_NAME_LABEL]: namespace };
  }
}
