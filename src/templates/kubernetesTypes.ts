// Checks that rendered containers and volumes are what core/v1 accepts, so that a pod is denied
// with a clear message here rather than by the API server after our patch.
import { isObject } from '../shared/objects';
import type { SidecarTemplateSpec } from './sidecarTemplate';

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const PORT_NAME = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const ENV_NAME = /^[-._a-zA-Z][-._a-zA-Z0-9]*$/;
const PROTOCOLS = new Set(['TCP', 'UDP', 'SCTP']);

type Problems = string[];

export function dnsLabelProblem(name: unknown): string | undefined {
  if (typeof name !== 'string' || name.length > 63 || !DNS_LABEL.test(name)) {
    return `${JSON.stringify(name)} must be a DNS label (lower case alphanumerics and '-', at most 63)`;
  }
  return undefined;
}

function stringList(value: unknown, path: string, problems: Problems): void {
  if (value === undefined) return;
  if (!Array.isArray(value) || value.some((v) => typeof v !== 'string'))
    problems.push(`${path}: must be a list of strings`);
}

export function envVarProblems(env: unknown, path: string, problems: Problems): void {
  if (!isObject(env)) return void problems.push(`${path}: must be an object`);
  if (typeof env.name !== 'string' || !ENV_NAME.test(env.name))
    problems.push(`${path}.name: ${JSON.stringify(env.name)} is not a valid variable name`);
  if (env.value !== undefined && typeof env.value !== 'string') problems.push(`${path}.value: must be a string`);
  if (env.value !== undefined && env.valueFrom !== undefined)
    problems.push(`${path}: value and valueFrom are exclusive`);
}

export function volumeMountProblems(mount: unknown, path: string, problems: Problems): void {
  if (!isObject(mount)) return void problems.push(`${path}: must be an object`);
  if (typeof mount.name !== 'string' || mount.name === '') problems.push(`${path}.name: must be a volume name`);
  if (typeof mount.mountPath !== 'string' || mount.mountPath === '' || mount.mountPath.includes(':')) {
    problems.push(`${path}.mountPath: ${JSON.stringify(mount.mountPath)} must be a non-empty path without ':'`);
  }
  if (mount.readOnly !== undefined && typeof mount.readOnly !== 'boolean')
    problems.push(`${path}.readOnly: must be a boolean`);
  if (mount.subPath !== undefined && (typeof mount.subPath !== 'string' || mount.subPath.split('/').includes('..'))) {
    problems.push(`${path}.subPath: must be a relative path without '..'`);
  }
}

export function containerProblems(container: unknown, path: string, problems: Problems): void {
  if (!isObject(container)) return void problems.push(`${path}: must be an object`);
  const nameProblem = dnsLabelProblem(container.name);
  if (nameProblem) problems.push(`${path}.name: ${nameProblem}`);
  if (typeof container.image !== 'string' || container.image.trim() === '')
    problems.push(`${path}.image: must be a non-empty string`);
  stringList(container.command, `${path}.command`, problems);
  stringList(container.args, `${path}.args`, problems);
  if (container.ports !== undefined) {
    if (!Array.isArray(container.ports)) problems.push(`${path}.ports: must be a list`);
    else
      container.ports.forEach((port: unknown, i) => {
        const at = `${path}.ports[${i}]`;
        if (!isObject(port)) {
          problems.push(`${at}: must be an object`);
          return;
        }
        const n = port.containerPort;
        if (!Number.isInteger(n) || (n as number) < 1 || (n as number) > 65535)
          problems.push(`${at}.containerPort: ${JSON.stringify(n)} must be an integer from 1 to 65535`);
        if (port.protocol !== undefined && !PROTOCOLS.has(port.protocol as string))
          problems.push(`${at}.protocol: must be TCP, UDP or SCTP`);
        if (
          port.name !== undefined &&
          (typeof port.name !== 'string' || port.name.length > 15 || !PORT_NAME.test(port.name))
        ) {
          problems.push(
            `${at}.name: ${JSON.stringify(port.name)} must be an IANA service name (at most 15 characters)`,
          );
        }
      });
  }
  if (container.env !== undefined) {
    if (!Array.isArray(container.env)) problems.push(`${path}.env: must be a list`);
    else
      container.env.forEach((env: unknown, i) => {
        envVarProblems(env, `${path}.env[${i}]`, problems);
      });
  }
  if (container.volumeMounts !== undefined) {
    if (!Array.isArray(container.volumeMounts)) problems.push(`${path}.volumeMounts: must be a list`);
    else
      container.volumeMounts.forEach((m: unknown, i) => {
        volumeMountProblems(m, `${path}.volumeMounts[${i}]`, problems);
      });
  }
}

export function volumeProblems(volume: unknown, path: string, problems: Problems): void {
  if (!isObject(volume)) return void problems.push(`${path}: must be an object`);
  const nameProblem = dnsLabelProblem(volume.name);
  if (nameProblem) problems.push(`${path}.name: ${nameProblem}`);
  const sources = Object.keys(volume).filter((k) => k !== 'name');
  if (sources.length !== 1) problems.push(`${path}: must have exactly one volume source (emptyDir, configMap, ...)`);
}

/** `8080/TCP`: what makes two container ports collide (the protocol defaults to TCP). */
export function portKey(port: unknown, protocol: unknown): string {
  return `${String(port)}/${typeof protocol === 'string' ? protocol : 'TCP'}`;
}

/** Kubernetes type problems of a rendered spec; shared by load time and request time. */
export function renderedProblems(
  spec: Pick<SidecarTemplateSpec, 'initContainers' | 'containers' | 'volumes' | 'appContainers'>,
  problems: string[],
): void {
  spec.initContainers?.forEach((c, i) => {
    containerProblems(c, `spec.initContainers[${i}]`, problems);
  });
  spec.containers?.forEach((c, i) => {
    containerProblems(c, `spec.containers[${i}]`, problems);
  });
  spec.volumes?.forEach((v, i) => {
    volumeProblems(v, `spec.volumes[${i}]`, problems);
  });
  spec.appContainers?.volumeMounts?.forEach((m, i) => {
    volumeMountProblems(m, `spec.appContainers.volumeMounts[${i}]`, problems);
  });
  spec.appContainers?.env?.forEach((e, i) => {
    envVarProblems(e, `spec.appContainers.env[${i}]`, problems);
  });
}
