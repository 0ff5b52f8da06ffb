// Kubernetes label selectors, compiled once at load time into a predicate.
import type { LabelSelector } from './sidecarTemplate';

export type Labels = Readonly<Record<string, string>>;
export type LabelMatcher = (labels: Labels) => boolean;

const matchAll: LabelMatcher = () => true;

// A qualified name with an optional DNS subdomain prefix, as in metav1 validation.
const NAME = /^([A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?)$/;
const PREFIX = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]{0,61})?[A-Za-z0-9])?$/;

export function labelKeyProblem(key: string): string | undefined {
  const slash = key.indexOf('/');
  const prefix = slash >= 0 ? key.slice(0, slash) : undefined;
  const name = slash >= 0 ? key.slice(slash + 1) : key;
  if (prefix !== undefined && (prefix.length > 253 || !PREFIX.test(prefix))) {
    return `label key prefix ${JSON.stringify(prefix)} must be a DNS subdomain`;
  }
  if (!NAME.test(name)) return `label key ${JSON.stringify(key)} is not a valid qualified name`;
  return undefined;
}

export function labelValueProblem(value: string): string | undefined {
  return VALUE.test(value) ? undefined : `label value ${JSON.stringify(value)} is not valid`;
}

/** Problems with a selector, each prefixed by its field path. Empty when valid. */
export function labelSelectorProblems(selector: LabelSelector, path: string): string[] {
  const problems: string[] = [];
  for (const [key, value] of Object.entries(selector.matchLabels ?? {})) {
    const p = labelKeyProblem(key) ?? labelValueProblem(value);
    if (p) problems.push(`${path}.matchLabels[${JSON.stringify(key)}]: ${p}`);
  }
  (selector.matchExpressions ?? []).forEach((req, i) => {
    const at = `${path}.matchExpressions[${i}]`;
    const keyProblem = labelKeyProblem(req.key);
    if (keyProblem) problems.push(`${at}.key: ${keyProblem}`);
    const values = req.values ?? [];
    if ((req.operator === 'In' || req.operator === 'NotIn') && values.length === 0) {
      problems.push(`${at}.values: must be non-empty when operator is ${req.operator}`);
    }
    if ((req.operator === 'Exists' || req.operator === 'DoesNotExist') && values.length > 0) {
      problems.push(`${at}.values: must be empty when operator is ${req.operator}`);
    }
    values.forEach((v, j) => {
      const p = labelValueProblem(v);
      if (p) problems.push(`${at}.values[${j}]: ${p}`);
    });
  });
  return problems;
}

/**
 * Label keys a set of labels must have for the selector to match (matchLabels, In, Exists); a
 * selector that needs none (absent, empty, only NotIn or DoesNotExist) gives an empty list.
 */
export function requiredLabelKeys(selector: LabelSelector | undefined): string[] {
  const keys = Object.keys(selector?.matchLabels ?? {});
  for (const req of selector?.matchExpressions ?? []) {
    if (req.operator === 'In' || req.operator === 'Exists') keys.push(req.key);
  }
  return keys;
}

/** An absent selector matches everything, like an empty one. */
export function compileLabelSelector(selector: LabelSelector | undefined): LabelMatcher {
  if (!selector) return matchAll;
  const checks: LabelMatcher[] = [];
  for (const [key, value] of Object.entries(selector.matchLabels ?? {})) {
    checks.push((labels) => labels[key] === value);
  }
  for (const req of selector.matchExpressions ?? []) {
    const values = new Set(req.values ?? []);
    const { key } = req;
    switch (req.operator) {
      case 'In':
        checks.push((labels) => Object.hasOwn(labels, key) && values.has(labels[key] as string));
        break;
      case 'NotIn':
        checks.push((labels) => !Object.hasOwn(labels, key) || !values.has(labels[key] as string));
        break;
      case 'Exists':
        checks.push((labels) => Object.hasOwn(labels, key));
        break;
      case 'DoesNotExist':
        checks.push((labels) => !Object.hasOwn(labels, key));
        break;
    }
  }
  if (checks.length === 0) return matchAll;
  return (labels) => checks.every((check) => check(labels));
}
