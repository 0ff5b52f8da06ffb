// The status annotation: which templates were injected, and a hash of what each added.
import { STATUS_ANNOTATION } from '../annotations';
import type { CompiledTemplate } from '../templates/compile';
import type { PodView } from './podView';
import { warning } from './warnings';

export interface InjectedRecord {
  name: string;
  hash: string;
}

export interface InjectionStatus {
  templates: InjectedRecord[];
}

export function readStatus(pod: PodView): { status: InjectionStatus; warnings: string[] } {
  const text = pod.annotations[STATUS_ANNOTATION];
  if (text === undefined) return { status: { templates: [] }, warnings: [] };
  try {
    const parsed = JSON.parse(text) as { templates?: unknown };
    const records = Array.isArray(parsed?.templates) ? parsed.templates : undefined;
    if (records?.every((r) => typeof r?.name === 'string' && typeof r?.hash === 'string')) {
      return { status: { templates: records as InjectedRecord[] }, warnings: [] };
    }
  } catch {
    // reported below
  }
  return { status: { templates: [] }, warnings: [warning(`${STATUS_ANNOTATION} is not valid and will be replaced`)] };
}

/**
 * A template counts as injected when the status records it AND its containers and volumes are
 * in the pod: a status written by hand cannot switch off a mandatory sidecar. Its init containers
 * are in initContainers; each sidecar is a regular container (classic) or an init container with
 * restartPolicy Always (native). An init container under any other restart policy runs to
 * completion or is restarted by rules: it is not the sidecar.
 */
export function isAlreadyInjected(template: CompiledTemplate, status: InjectionStatus, pod: PodView): boolean {
  if (!status.templates.some((r) => r.name === template.name)) return false;
  const initNames = new Set(pod.initContainers.map((c) => c.name));
  const sidecarNames = new Set(pod.containers.map((c) => c.name));
  for (const c of pod.initContainers) if (c.restartPolicy === 'Always') sidecarNames.add(c.name);
  return (
    (template.spec.initContainers ?? []).every((c) => initNames.has(c.name)) &&
    (template.spec.containers ?? []).every((c) => sidecarNames.has(c.name)) &&
    template.volumeNames.every((n) => pod.volumeNames.has(n))
  );
}

export function serializeStatus(status: InjectionStatus): string {
  return JSON.stringify(status);
}
