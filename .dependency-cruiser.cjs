// The import rules of ARCHITECTURE.md, checked by `npm run lint:deps` (part of `npm test`).
// Folders are layers; each may import only the layers named in its rule. Type-only imports count.
/** A path regex for the given folders (and files) under src/. */
const under = (...names) => `^src/(${names.join('|')})(/|\\.ts$)`;

/** `from` may import nothing under src/ but `allowed` (and itself). */
const onlyImports = (from, allowed, comment) => ({
  name: `${from}-imports-only-${allowed.join('-') || 'itself'}`,
  comment,
  severity: 'error',
  from: { path: under(from) },
  to: { path: '^src/', pathNot: [under(from), ...allowed.map((a) => under(a))] },
});

// What the pure core must never reach: the filesystem, the network, the server and log stacks,
// the Kubernetes client, process-wide state.
const IO_MODULES = [
  '^(node:)?(fs|fs/promises|net|http|https|http2|tls|dgram|child_process|cluster|worker_threads|readline)$',
  // resolved (node_modules/pino/...) or not (a tree without node_modules)
  '(^|node_modules/)(fastify|pino|prom-client|@kubernetes/client-node|@peculiar/x509)(/|$)',
];

module.exports = {
  forbidden: [
    {
      name: 'no-circular',
      comment: 'A cycle makes two modules one; split the shared part out instead.',
      severity: 'error',
      from: { path: '^src/' },
      to: { circular: true },
    },
    {
      name: 'core-does-no-io',
      comment: 'The injection core and the template model are pure: no fs, network, server, logger or client.',
      severity: 'error',
      from: { path: under('shared', 'templates', 'injection', 'workloads', 'annotations') },
      to: { path: IO_MODULES },
    },
    onlyImports('shared', [], 'Helpers for every layer; they depend on nothing of ours.'),
    onlyImports('annotations', ['templates'], 'The names of the contract (its domain is the API group).'),
    onlyImports('templates', ['shared', 'annotations'], 'The SidecarTemplate model knows no pods and no edges.'),
    onlyImports('injection', ['templates', 'shared', 'annotations'], 'The core: templates in, patch out.'),
    onlyImports('workloads', ['injection', 'shared'], 'Where workloads keep their pods, for render.'),
    onlyImports('admission', ['injection', 'templates', 'shared', 'annotations'], 'The wire format, around the core.'),
    onlyImports('runtime', ['shared'], 'Node helpers for the edges (package files, path watching).'),
    onlyImports('certs', ['shared'], 'Certificate generation for the certs command.'),
    onlyImports('cluster', ['runtime', 'shared'], 'Kubernetes API access: client, kubeconfig, watches, server version.'),
    onlyImports(
      'sources',
      ['admission', 'cluster', 'runtime', 'templates', 'shared', 'annotations'],
      'Template and namespace-label sources feed the catalog; they know nothing of the server or the CLI.',
    ),
    onlyImports(
      'drift',
      ['injection', 'cluster', 'sources', 'templates', 'shared', 'annotations'],
      'Drift around the core: reading the cluster, reports, restarts, the pod watch; nothing of the server or the CLI.',
    ),
    onlyImports(
      'server',
      ['admission', 'cluster', 'sources', 'templates', 'runtime', 'shared'],
      'The HTTPS app and its lifecycle; it never reaches into the CLI.',
    ),
    {
      name: 'edges-use-admission-through-its-entry',
      comment: 'Other edges see admission through decide.ts (its deps and the namespace-label interface) and admit.ts.',
      severity: 'error',
      from: { path: under('sources', 'cluster', 'runtime') },
      to: { path: '^src/admission/', pathNot: '^src/admission/decide\\.ts$' },
    },
    {
      name: 'server-uses-sources-through-their-contract',
      comment: 'The server knows what a source is (templateSource.ts), not how any source works.',
      severity: 'error',
      from: { path: under('server') },
      to: { path: '^src/sources/', pathNot: '^src/sources/templateSource\\.ts$' },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    parser: 'swc',
    exclude: { path: '^(dist|node_modules)/' },
  },
};
