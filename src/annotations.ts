// Every annotation and label key the product reads or writes, in one place.
import { GROUP } from './templates/sidecarTemplate';

export const DOMAIN = GROUP;
export const INJECT_ANNOTATION = `${DOMAIN}/inject`;
export const EXCLUDE_ANNOTATION = `${DOMAIN}/exclude`;
export const STATUS_ANNOTATION = `${DOMAIN}/status`;
/** Namespace label read by the webhook configurations' namespaceSelector. */
export const INJECTION_LABEL = `${DOMAIN}/injection`;
export const MIRROR_POD_ANNOTATION = 'kubernetes.io/config.mirror';
export const NAMESPACE_NAME_LABEL = 'kubernetes.io/metadata.name';

const PARAMETER_SUFFIX = `.${DOMAIN}/`;

/** `<template>.sidecar.injector.dev/<parameter>` → its parts, or undefined for other keys. */
export function parseParameterAnnotation(key: string): { template: string; parameter: string } | undefined {
  const at = key.lastIndexOf(PARAMETER_SUFFIX);
  if (at <= 0) return undefined;
  const parameter = key.slice(at + PARAMETER_SUFFIX.length);
  if (parameter.length === 0 || parameter.includes('/')) return undefined;
  return { template: key.slice(0, at), parameter };
}
