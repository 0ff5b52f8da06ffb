// Generated pods and request contexts for property tests: pods that use the golden template
// library's names, parameters, container names, ports and mount paths, so that they collide.
import fc from 'fast-check';

const hostileText = fc.oneof(
  fc.string({ maxLength: 40 }),
  fc.constantFrom('/var/log/x', '9200', 'true', '64Mi', '${params.log-path}', '$${x}', '"\n- a: b', '{{ .x }}', ''),
);
const containerName = fc.constantFrom('app', 'worker', 'log-shipper', 'metrics', 'proxy', 'audit', 'migrate', 'x');
const container = fc.record(
  {
    name: containerName,
    image: fc.constantFrom('nginx:1.27', 'api:1'),
    ports: fc.array(
      fc.record({ containerPort: fc.constantFrom(80, 9102, 15001, 8080), protocol: fc.constantFrom('TCP', 'UDP') }),
      { maxLength: 2 },
    ),
    env: fc.array(
      fc.record({ name: fc.constantFrom('STATSD_PORT', 'HTTP_PROXY', 'A', 'B'), value: fc.string({ maxLength: 5 }) }),
      { maxLength: 3 },
    ),
    volumeMounts: fc.array(
      fc.record({
        name: fc.constantFrom('data', 'config'),
        mountPath: fc.constantFrom('/var/log/app', '/data', '/config', '/cache'),
      }),
      { maxLength: 2 },
    ),
    resources: fc.constant({ limits: { cpu: '1' } }),
  },
  { requiredKeys: ['name', 'image'] },
);
const uniqueByName = <T extends { name: string }>(items: T[]) =>
  items.filter((c, i) => items.findIndex((d) => d.name === c.name) === i);

export const podArbitrary = (names: string[]) =>
  fc.record(
    {
      metadata: fc.record(
        {
          name: fc.constantFrom('web', 'api'),
          generateName: fc.constant('web-'),
          labels: fc.dictionary(fc.constantFrom('app', 'reload', 'tier'), fc.constantFrom('enabled', 'api', 'x'), {
            maxKeys: 3,
          }),
          annotations: fc.record(
            {
              'sidecar.injector.dev/inject': fc.subarray(names).map((n) => n.join(', ')),
              'sidecar.injector.dev/exclude': fc.subarray(names).map((n) => n.join(',')),
              'log-shipper.sidecar.injector.dev/log-path': hostileText,
              'metrics.sidecar.injector.dev/port': hostileText,
              'metrics.sidecar.injector.dev/debug': fc.constantFrom('true', 'false', 'yes'),
              'proxy.sidecar.injector.dev/app-port': hostileText,
              other: hostileText,
            },
            { requiredKeys: [] },
          ),
        },
        { requiredKeys: [] },
      ),
      spec: fc.record(
        {
          initContainers: fc.array(container, { maxLength: 2 }).map(uniqueByName),
          containers: fc.array(container, { minLength: 1, maxLength: 3 }).map(uniqueByName),
          volumes: fc
            .array(fc.record({ name: fc.constantFrom('data', 'config', 'app-logs'), emptyDir: fc.constant({}) }), {
              maxLength: 2,
            })
            .map(uniqueByName),
          restartPolicy: fc.constantFrom('Always', 'Never'),
        },
        { requiredKeys: ['containers'] },
      ),
    },
    { requiredKeys: ['spec'] },
  );
export const contextArbitrary = fc.record({
  namespace: fc.constantFrom('default', 'payments'),
  namespaceLabels: fc.constantFrom<Record<string, string>>({}, { team: 'payments' }),
  nativeSidecars: fc.boolean(),
});
