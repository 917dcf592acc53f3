import { createHash } from 'node:crypto';
import type { Finding, ResourceRef } from '../core/model.js';
import type { RuleInfo } from '../rules/compiled-rule.js';

/**
 * A finding's identity across runs, for systems that update what they imported before (Security Hub, an OCSF data
 * lake): the rule and the resource id, never the time or the verdict. Readable while it fits in `max`; past that, the
 * resource id is replaced by its SHA-256.
 */
export function findingUid(finding: Pick<Finding, 'ruleId' | 'resource'>, max = 512): string {
  const readable = `trailguard/${finding.ruleId}/${finding.resource.id}`;
  return readable.length <= max
    ? readable
    : `trailguard/${finding.ruleId}/sha256:${createHash('sha256').update(finding.resource.id).digest('hex')}`;
}

/** The partition of a resource, from its ARN (`aws` when the id is not one). */
export function partitionOf(resource: ResourceRef): string {
  const partition = /^arn:([^:]+):/.exec(resource.id)?.[1];
  return partition ?? 'aws';
}

/**
 * A rule's framework mappings as requirement names: `cis-aws-foundations 3.0.0: 3.5`, `cce: CCE-78919-8`, one per
 * control, in the order the rule writes them.
 */
export function requirements(rule: RuleInfo | undefined): string[] {
  if (rule === undefined) return [];
  const out: string[] = [];
  const walk = (path: string, value: unknown): void => {
    if (typeof value === 'string' || typeof value === 'number') out.push(`${path}: ${value}`);
    else if (Array.isArray(value)) for (const item of value) walk(path, item);
    else if (value !== null && typeof value === 'object')
      for (const [key, inner] of Object.entries(value as Record<string, unknown>)) walk(`${path} ${key}`, inner);
  };
  for (const [framework, value] of Object.entries(rule.controls)) walk(framework, value);
  return out;
}

/** The text cut to `max` characters, ending with an ellipsis when cut. */
export function cut(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}
