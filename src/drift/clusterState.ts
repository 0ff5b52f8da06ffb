// What `drift` reads once from the API besides pods: the templates (SidecarTemplates, plus
// --templates-dir files, cluster first as in serve), namespace labels and the webhook's scope.
import { NAMESPACE_NAME_LABEL } from '../annotations';
import { type ApiClient, ApiError, METADATA_LIST_ONLY } from '../cluster/apiClient';
import { loadTemplatePaths } from '../sources/templateFiles';
import { SOURCE_PRECEDENCE, type SourceName } from '../sources/templateSource';
import { Catalog, type CatalogSnapshot } from '../templates/catalog';
import { type CompiledTemplate, compileTemplate } from '../templates/compile';
import type { Labels } from '../templates/labelSelector';
import { API_VERSION, PLURAL } from '../templates/sidecarTemplate';
import { defaultScope, scopeOf, type WebhookScope } from './webhookScope';

export type Warn = (message: string) => void;

interface ObjectList<T = Record<string, unknown>> {
  readonly items?: T[];
  readonly metadata?: { readonly continue?: string; readonly resourceVersion?: string };
}

interface NamedObject {
  readonly metadata?: { readonly name?: string; readonly labels?: Record<string, string> };
}

/** An error worth a one-line message and exit 1 (no stack). */
export class DriftError extends Error {}

/**
 * Cluster SidecarTemplates and template files, merged as serve merges them: a cluster template
 * wins over a file of the same name. An invalid template or file is an error: drift run on part
 * of the templates would report the rest as removed.
 */
export async function loadCatalog(
  api: ApiClient,
  templateDirs: readonly string[],
  warn: Warn,
): Promise<CatalogSnapshot> {
  const cluster: CompiledTemplate[] = [];
  const problems: string[] = [];
  try {
    for await (const object of listAll<NamedObject>(api, `/apis/${API_VERSION}/${PLURAL}`)) {
      const name = object.metadata?.name ?? '';
      const result = compileTemplate(object, `SidecarTemplate/${name}`);
      if (result.ok) cluster.push(result.template);
      else problems.push(...result.problems.map((p) => `SidecarTemplate/${name}: ${p}`));
    }
  } catch (error) {
    if (!(error instanceof ApiError && error.status === 404)) throw error;
    warn('the SidecarTemplate resource is not installed in this cluster: using template files only');
  }
  const files = templateDirs.length > 0 ? await loadTemplatePaths([...templateDirs]) : { templates: [], errors: [] };
  for (const error of files.errors) problems.push(...error.problems.map((p) => `${error.file}: ${p}`));
  if (problems.length > 0) throw new DriftError(`invalid templates:\n  ${problems.join('\n  ')}`);
  const catalog = new Catalog<SourceName>(SOURCE_PRECEDENCE);
  catalog.replace('cluster', cluster);
  catalog.onChange((_, clashes) => {
    for (const clash of clashes)
      warn(`template ${clash.name} is defined twice; using ${clash.kept}, not ${clash.ignored}`);
  });
  catalog.replace('files', files.templates);
  return catalog.snapshot();
}

/** Labels of the namespaces drift looks at (one, or all), each with its name label. */
export async function namespaceLabels(api: ApiClient, namespace: string | undefined): Promise<Map<string, Labels>> {
  const labels = new Map<string, Labels>();
  const add = (ns: NamedObject) => {
    const name = ns.metadata?.name;
    if (name) labels.set(name, { ...(ns.metadata?.labels ?? {}), [NAMESPACE_NAME_LABEL]: name });
  };
  if (namespace !== undefined) {
    try {
      add(await api.request<NamedObject>('GET', `/api/v1/namespaces/${encodeURIComponent(namespace)}`));
    } catch (error) {
      if (error instanceof ApiError && error.status === 404) throw new DriftError(`namespace ${namespace} not found`);
      throw error;
    }
  } else {
    for await (const ns of listAll<NamedObject>(api, '/api/v1/namespaces', METADATA_LIST_ONLY)) add(ns);
  }
  return labels;
}

/** The webhook's scope from its MutatingWebhookConfiguration; the default (with a warning) if unreadable. */
export async function webhookScope(api: ApiClient, warn: Warn): Promise<WebhookScope> {
  let scope: WebhookScope;
  try {
    const configurations: unknown[] = [];
    for await (const c of listAll(api, '/apis/admissionregistration.k8s.io/v1/mutatingwebhookconfigurations'))
      configurations.push(c);
    scope = scopeOf(configurations);
  } catch (error) {
    if (!(error instanceof ApiError && error.status === 403)) throw error;
    scope = defaultScope(`cannot read MutatingWebhookConfigurations (${error.message})`);
  }
  if (!scope.fromCluster) warn(scope.description);
  return scope;
}

/** Pages through a list (`limit`/`continue`), yielding its items as they come. */
export async function* listAll<T = Record<string, unknown>>(
  api: ApiClient,
  path: string,
  accept?: string,
  query: Readonly<Record<string, string>> = {},
  pageSize = 500,
): AsyncGenerator<T> {
  let next: string | undefined;
  do {
    const page: ObjectList<T> = await api.request<ObjectList<T>>('GET', path, {
      query: { ...query, limit: pageSize, continue: next },
      ...(accept ? { accept } : {}),
    });
    yield* page.items ?? [];
    next = page.metadata?.continue || undefined;
  } while (next);
}
