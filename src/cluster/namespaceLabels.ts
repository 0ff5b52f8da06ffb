// Where the labels of a pod's namespace come from. Without the Kubernetes API only the label
// every namespace carries is known; the Namespace informer replaces this with the real labels.
import { NAMESPACE_NAME_LABEL } from '../annotations';
import type { Labels } from '../templates/labelSelector';

export interface NamespaceLabelSource {
  /** Answered from memory: never waits on the network. */
  labelsOf(namespace: string): Labels;
}

export const nameOnlyNamespaceLabels: NamespaceLabelSource = {
  labelsOf: (namespace) => ({ [NAMESPACE_NAME_LABEL]: namespace }),
};

/** Labels given up front (render's --namespace-labels), plus the name label. */
export function fixedNamespaceLabels(labels: Labels): NamespaceLabelSource {
  return { labelsOf: (namespace) => ({ [NAMESPACE_NAME_LABEL]: namespace, ...labels }) };
}
