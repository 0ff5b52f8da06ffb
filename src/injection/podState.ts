// What is taken in the pod while templates are added one by one: container names, ports,
// volume names, and each app container's mount paths and env names. One per request.
import { portKey } from '../templates/kubernetesTypes';
import type { ContainerView, NameLookup, PodView } from './podView';

export interface AppContainerState {
  readonly index: number;
  readonly name: string;
  readonly mountPaths: Map<string, string>;
  readonly envNames: NameSet;
}

/** The pod's own names, read in place (a container may have thousands), plus those added since. */
export class NameSet {
  private readonly added = new Set<string>();

  constructor(private readonly own: NameLookup) {}

  has(name: string): boolean {
    return this.own.has(name) || this.added.has(name);
  }

  add(name: string): void {
    this.added.add(name);
  }
}

export class PodState {
  /** name → what holds it, for conflict messages */
  readonly containerNames = new Map<string, string>();
  readonly ports = new Map<string, string>();
  readonly volumes = new Map<string, string>();
  readonly appContainers: AppContainerState[];
  /** Where the next template's init containers go: after earlier injections, before the pod's own. */
  initInsertAt = 0;

  constructor(pod: PodView, injectedSidecarNames: ReadonlySet<string>) {
    const claim = (c: ContainerView, what: string) => {
      this.containerNames.set(c.name, `${what} ${c.name}`);
      for (const p of c.ports) this.ports.set(portKey(p.port, p.protocol), `${what} ${c.name}`);
    };
    pod.initContainers.forEach((c, i) => {
      claim(c, 'init container');
      if (injectedSidecarNames.has(c.name)) this.initInsertAt = i + 1;
    });
    for (const c of pod.containers) claim(c, 'container');
    for (const name of pod.ephemeralContainerNames) this.containerNames.set(name, `ephemeral container ${name}`);
    for (const name of pod.volumeNames) this.volumes.set(name, `volume ${name}`);
    this.appContainers = pod.containers.flatMap((c, index) =>
      injectedSidecarNames.has(c.name)
        ? []
        : [
            {
              index,
              name: c.name,
              mountPaths: new Map([...c.mountPaths].map((p) => [p, `container ${c.name}`])),
              envNames: new NameSet(c.envNames),
            },
          ],
    );
  }
}
