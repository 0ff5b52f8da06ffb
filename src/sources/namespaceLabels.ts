// Namespace labels without a watch: without the Kubernetes API only the label every namespace
// carries is known; render takes the rest from --namespace-labels. (With the API:
// watchedNamespaceLabels.ts.)

import type { NamespaceLabelSource } from '../admission/decide';
import { NAMESPACE_NAME_LABEL } from '../annotations';
import type { Labels } from '../templates/labelSelector';

export const nameOnlyNamespaceLabels: NamespaceLabelSource = {
  labelsOf: (namespace) => ({ [NAMESPACE_NAME_LABEL]: namespace }),
};

/** Labels given up front (render's --namespace-labels), plus the name label. */
export function fixedNamespaceLabels(labels: Labels): NamespaceLabelSource {
  return { labelsOf: (namespace) => ({ [NAMESPACE_NAME_LABEL]: namespace, ...labels }) };
}
