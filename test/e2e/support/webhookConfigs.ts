// The MutatingWebhookConfigurations shipped in deploy/components, pointed at the webhook on
// 127.0.0.1 (clientConfig.url instead of the in-cluster Service), so the scope under test is the
// shipped one: rules, namespaceSelector, reinvocationPolicy, failurePolicy, timeouts.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { repositoryFile } from './processes';

export type Scope = 'opt-in' | 'cluster-wide';

export interface WebhookConfigurationOptions {
  readonly url: string;
  readonly caBundle: string;
  /** Test variants of the shipped configuration; anything not given stays as shipped. */
  readonly failurePolicy?: 'Fail' | 'Ignore';
  readonly timeoutSeconds?: number;
  readonly namespaceSelector?: unknown;
}

// biome-ignore lint/suspicious/noExplicitAny: a Kubernetes object read from YAML
type Manifest = Record<string, any>;

export function shippedWebhookConfiguration(scope: Scope): Manifest {
  const file = repositoryFile(join('deploy', 'components', `webhook-${scope}`, 'mutatingwebhookconfiguration.yaml'));
  return parse(readFileSync(file, 'utf8'));
}

export function webhookConfiguration(scope: Scope, options: WebhookConfigurationOptions): Manifest {
  const config = shippedWebhookConfiguration(scope);
  for (const webhook of config.webhooks as Manifest[]) {
    if (!webhook.clientConfig?.service) throw new Error(`deploy/components/webhook-${scope}: no clientConfig.service`);
    webhook.clientConfig = { url: options.url, caBundle: options.caBundle };
    if (options.failurePolicy) webhook.failurePolicy = options.failurePolicy;
    if (options.timeoutSeconds !== undefined) webhook.timeoutSeconds = options.timeoutSeconds;
    if (options.namespaceSelector !== undefined) webhook.namespaceSelector = options.namespaceSelector;
  }
  return config;
}
