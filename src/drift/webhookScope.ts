// Which pods the API server sends to the webhook: those its MutatingWebhookConfiguration's
// namespaceSelector and objectSelector match. A template with `selector: {}` means every pod in
// that scope, so a pod outside it is never `missing` anything: drift looks only inside.
import { DOMAIN, INJECTION_LABEL, NAMESPACE_NAME_LABEL } from '../annotations';
import { compileLabelSelector, type LabelMatcher, type Labels } from '../templates/labelSelector';
import type { LabelSelector } from '../templates/sidecarTemplate';

export interface WebhookScope {
  /** Whether a pod with these labels, in a namespace with these labels, reaches the webhook. */
  inScope(namespaceLabels: Labels, podLabels: Labels): boolean;
  /** Where the scope comes from, for messages: webhook names, or why the default applies. */
  readonly description: string;
  /** False when no webhook of ours was found and the default scope stands in. */
  readonly fromCluster: boolean;
}

/** The control plane's namespaces, which the shipped webhook configurations always leave out. */
const CONTROL_PLANE_NAMESPACES = new Set(['kube-system', 'kube-public', 'kube-node-lease']);

/** The shipped cluster-wide scope, for when no webhook configuration can be read. */
export function defaultScope(why: string): WebhookScope {
  return {
    inScope: (namespaceLabels) =>
      namespaceLabels[INJECTION_LABEL] !== 'disabled' &&
      !CONTROL_PLANE_NAMESPACES.has(namespaceLabels[NAMESPACE_NAME_LABEL] ?? ''),
    description: `${why}; assuming every namespace but kube-system, kube-public, kube-node-lease and those labelled ${INJECTION_LABEL}=disabled`,
    fromCluster: false,
  };
}

interface WebhookEntry {
  readonly name: string;
  readonly matchesNamespace: LabelMatcher;
  readonly matchesPod: LabelMatcher;
}

/**
 * The scope of our webhooks (named `*.sidecar.injector.dev`, with a rule for CREATE of pods) in
 * these MutatingWebhookConfiguration objects; the default scope when there is none.
 */
export function scopeOf(configurations: readonly unknown[]): WebhookScope {
  const entries: WebhookEntry[] = [];
  for (const configuration of configurations) {
    for (const webhook of listOf((configuration as { webhooks?: unknown })?.webhooks)) {
      const { name, rules, namespaceSelector, objectSelector } = webhook as Record<string, unknown>;
      if (typeof name !== 'string' || !name.endsWith(`.${DOMAIN}`) || !createsPods(rules)) continue;
      entries.push({
        name,
        matchesNamespace: compileLabelSelector(namespaceSelector as LabelSelector | undefined),
        matchesPod: compileLabelSelector(objectSelector as LabelSelector | undefined),
      });
    }
  }
  if (entries.length === 0) return defaultScope(`no MutatingWebhookConfiguration has a webhook named *.${DOMAIN}`);
  return {
    inScope: (namespaceLabels, podLabels) =>
      entries.some((e) => e.matchesNamespace(namespaceLabels) && e.matchesPod(podLabels)),
    description: `the scope of webhook ${[...new Set(entries.map((e) => e.name))].join(', ')}`,
    fromCluster: true,
  };
}

function createsPods(rules: unknown): boolean {
  return listOf(rules).some((rule) => {
    const { operations, resources } = rule as { operations?: unknown; resources?: unknown };
    const has = (list: unknown, item: string) => listOf(list).some((v) => v === item || v === '*');
    return has(operations, 'CREATE') && has(resources, 'pods');
  });
}

const listOf = (value: unknown): unknown[] => (Array.isArray(value) ? value : []);
