// The templates in deploy/templates are what users deploy first: they must validate, render into
// real pods, pin their images, compose with each other, and inject automatically only on opt-in.
import { join } from 'node:path';
import { applyPatch } from 'fast-json-patch';
import { inject } from '../../../src/injection/inject';
import { loadTemplatePaths } from '../../../src/sources/templateFiles';
import { snapshotOf } from '../../../src/templates/catalog';

const DIR = join(__dirname, '../../../deploy/templates');
const EXAMPLES = ['config-reloader', 'log-shipper', 'metrics-exporter', 'proxy', 'tls-terminator'];
/** Values for the parameters that have no default. */
const REQUIRED: Record<string, string> = {
  'config-reloader.sidecar.injector.dev/config-map': 'app-config',
  'tls-terminator.sidecar.injector.dev/secret-name': 'app-tls',
};

const pod = (annotations: Record<string, string>, labels: Record<string, string> = {}) => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name: 'app', annotations, labels },
  spec: { containers: [{ name: 'app', image: 'nginx:1.27', ports: [{ containerPort: 8080 }] }] },
});

describe('the example templates', () => {
  let snapshot: ReturnType<typeof snapshotOf>;
  beforeAll(async () => {
    const loaded = await loadTemplatePaths([DIR]);
    expect(loaded.errors).toEqual([]);
    snapshot = snapshotOf(loaded.templates);
  });

  it('are the five documented ones', () => {
    expect([...snapshot.templates.keys()].sort()).toEqual(EXAMPLES);
  });

  it.each(EXAMPLES)('%s declares and describes its parameters and pins its images', (name) => {
    const template = snapshot.templates.get(name)!;
    expect(template.spec.description).toBeTruthy();
    for (const parameter of template.spec.parameters ?? []) expect(parameter.description).toBeTruthy();
    for (const container of [...(template.spec.initContainers ?? []), ...(template.spec.containers ?? [])]) {
      expect(container.image).toMatch(/^[a-z0-9./-]+:v?\d+\.\d+\.\d+$/);
    }
  });

  it.each([true, false])('all five inject together into one pod (native sidecars: %s)', (native) => {
    const input = pod({ 'sidecar.injector.dev/inject': EXAMPLES.join(', '), ...REQUIRED });
    const result = inject(input, { namespace: 'shop', namespaceLabels: {}, nativeSidecars: native }, snapshot);
    expect(result.outcome).toBe('injected');
    if (result.outcome !== 'injected') return;
    expect(result.injected).toEqual(EXAMPLES);
    const out = applyPatch(structuredClone(input), result.patch, true, false).newDocument as ReturnType<typeof pod> & {
      spec: { initContainers?: Array<{ name: string; restartPolicy?: string }>; volumes: Array<{ name: string }> };
    };
    const sidecars = [...(out.spec.initContainers ?? []), ...out.spec.containers].map((c) => c.name);
    expect(sidecars.sort()).toEqual(['app', ...EXAMPLES].sort());
    // proxy and tls-terminator are always native: they must listen before the app starts.
    const initNames = (out.spec.initContainers ?? []).map((c) => c.name);
    expect(initNames).toEqual(expect.arrayContaining(['proxy', 'tls-terminator']));
    expect(out.spec.volumes.map((v) => v.name).sort()).toEqual(['app-logs', 'reloaded-config', 'tls-terminator-certs']);
  });

  it('fills the Secret and ConfigMap names from the annotations', () => {
    const input = pod({ 'sidecar.injector.dev/inject': 'tls-terminator,config-reloader', ...REQUIRED });
    const result = inject(input, { namespace: 'shop', namespaceLabels: {}, nativeSidecars: true }, snapshot);
    expect(result.outcome).toBe('injected');
    const volumes = JSON.stringify(result.outcome === 'injected' ? result.patch : []);
    expect(volumes).toContain('"secretName":"app-tls"');
    expect(volumes).toContain('"configMap":{"name":"app-config"}');
  });

  it.each([
    ['tls-terminator.sidecar.injector.dev/secret-name', '../other', 'tls-terminator'],
    ['config-reloader.sidecar.injector.dev/webhook-url', 'http://evil.example.com/', 'config-reloader'],
    ['proxy.sidecar.injector.dev/listen-port', '80', 'proxy'],
  ])('deny an out-of-bounds %s', (key, value, template) => {
    const input = pod({ 'sidecar.injector.dev/inject': template, ...REQUIRED, [key]: value });
    const result = inject(input, { namespace: 'shop', namespaceLabels: {}, nativeSidecars: true }, snapshot);
    expect(result.outcome).toBe('denied');
  });

  it('inject only the log shipper automatically, and only into pods that opt in by label', () => {
    expect(snapshot.automatic.map((t) => t.name)).toEqual(['log-shipper']);
    const context = {
      namespace: 'shop',
      namespaceLabels: { 'kubernetes.io/metadata.name': 'shop' },
      nativeSidecars: true,
    };
    expect(inject(pod({}), context, snapshot).outcome).toBe('unchanged');
    const optedIn = inject(pod({}, { 'sidecar.injector.dev/logs': 'enabled' }), context, snapshot);
    expect(optedIn.outcome === 'injected' && optedIn.injected).toEqual(['log-shipper']);
  });
});
