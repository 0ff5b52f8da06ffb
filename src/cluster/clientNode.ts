// @kubernetes/client-node as the webhook loads it: from dist/vendor/client-node.js, one minified
// script of just the parts used here, which `npm run build` bundles from the package
// (scripts/bundle-client-node.js). Loaded as the package's ES modules, the client costs much more
// memory (README, Performance), most of a replica's limit. The package is a dev dependency: the image
// ships the bundle (and its packages' licences) only. Before a build, in a checkout, the package
// itself is loaded.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type * as ClientNodePackage from '@kubernetes/client-node';
import { packageRoot } from '../runtime/packageRoot';

/** Every value the webhook takes from client-node; the bundle exports these and nothing else. */
export const CLIENT_NODE_EXPORTS = [
  'CoreV1Api',
  'CustomObjectsApi',
  'KubeConfig',
  'makeInformer',
  'VersionApi',
] as const;

export type ClientNode = Pick<typeof ClientNodePackage, (typeof CLIENT_NODE_EXPORTS)[number]>;

/** Where `npm run build` writes the bundle, under the package root. */
export const CLIENT_NODE_BUNDLE = join('dist', 'vendor', 'client-node.js');

let loaded: ClientNode | undefined;

export function clientNode(): ClientNode {
  if (loaded) return loaded;
  const bundle = join(packageRoot(), CLIENT_NODE_BUNDLE);
  loaded = require(existsSync(bundle) ? bundle : '@kubernetes/client-node') as ClientNode;
  return loaded;
}
