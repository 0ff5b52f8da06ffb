// Parameter values for the selected templates, from `<template>.sidecar.injector.dev/<param>`
// annotations, each checked against its declaration; defaults fill in the rest.
import { DOMAIN, parseParameterAnnotation } from '../annotations';
import type { CompiledTemplate } from '../templates/compile';
import type { ParameterValue } from '../templates/placeholders';
import { nameList, quote, warning } from './warnings';

export type ResolvedParameters =
  | { values: Map<string, Map<string, ParameterValue>>; warnings: string[] }
  | { denial: string };

/** `templates` are the ones to inject now; `alreadyInjected` ones accept their annotations silently. */
export function resolveParameters(
  templates: readonly CompiledTemplate[],
  annotations: Readonly<Record<string, string>>,
  alreadyInjected: ReadonlySet<string> = new Set(),
): ResolvedParameters {
  const byName = new Map(templates.map((t) => [t.name, t]));
  const given = new Map<string, Map<string, string>>();
  const warnings: string[] = [];
  for (const [key, text] of Object.entries(annotations)) {
    const parsed = parseParameterAnnotation(key);
    if (!parsed) continue;
    const template = byName.get(parsed.template);
    if (!template && alreadyInjected.has(parsed.template)) continue;
    if (!template) {
      warnings.push(warning(`annotation ${key} ignored: template ${quote(parsed.template)} is not injected`));
      continue;
    }
    const param = template.parameters.get(parsed.parameter);
    if (!param) {
      return {
        denial: `template ${template.name} has no parameter ${quote(parsed.parameter)} (annotation ${key}); declared: ${nameList([...template.parameters.keys()])}`,
      };
    }
    const forTemplate = given.get(template.name) ?? new Map<string, string>();
    forTemplate.set(param.name, text);
    given.set(template.name, forTemplate);
  }

  const values = new Map<string, Map<string, ParameterValue>>();
  for (const template of templates) {
    const resolved = new Map<string, ParameterValue>();
    for (const param of template.parameters.values()) {
      const text = given.get(template.name)?.get(param.name);
      if (text === undefined) {
        if (param.defaultValue === undefined) {
          return {
            denial: `template ${template.name} requires parameter ${param.name} (${param.expectation}); set annotation ${template.name}.${DOMAIN}/${param.name}`,
          };
        }
        resolved.set(param.name, param.defaultValue);
        continue;
      }
      const result = param.parse(text);
      if ('problem' in result) {
        return {
          denial: `template ${template.name} parameter ${param.name}: ${result.problem}`,
        };
      }
      resolved.set(param.name, result.value);
    }
    values.set(template.name, resolved);
  }
  return { values, warnings };
}
