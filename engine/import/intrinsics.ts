import { Unresolved } from '../core/unresolved.js';

/** `Ref AWS::NoValue`: the property or list item is left out. */
export const NO_VALUE: unique symbol = Symbol('AWS::NoValue');

/** What intrinsic functions resolve against: the deployment's account and Region, parameters, other resources. */
export interface IntrinsicContext {
  readonly account: string;
  readonly region: string;
  readonly partition: string;
  readonly stackName: string;
  /** A parameter's value (given, or its Default), or an Unresolved saying why it has none; undefined if not declared. */
  parameter(name: string): unknown;
  /** The value of `Ref` to a resource of the template; undefined if the template declares none by that name. */
  ref(logicalId: string): unknown;
  /** `Fn::GetAtt` of a resource; undefined if the template declares none by that name. */
  getAtt(logicalId: string, attribute: string): unknown;
  readonly mappings: Readonly<Record<string, unknown>>;
  readonly conditions: Readonly<Record<string, unknown>>;
  /** An export of another template given with this one, by export name. */
  exported(name: string): unknown;
}

/**
 * Resolves the intrinsic functions in a template value, as CloudFormation would at deployment. Whatever the file
 * cannot settle becomes an {@link Unresolved} that names it; a string built from one is unresolved as a whole.
 */
export function resolveValue(value: unknown, context: IntrinsicContext, conditionsSeen: Set<string> = new Set()): unknown {
  if (Array.isArray(value)) {
    const items = value.map((item) => resolveValue(item, context, conditionsSeen)).filter((item) => item !== NO_VALUE);
    return items;
  }
  if (typeof value === 'string') return dynamicReference(value) ?? value;
  if (value === null || typeof value !== 'object') return value;
  const entries = Object.entries(value as Record<string, unknown>);
  if (entries.length === 1) {
    const [name, argument] = entries[0] as [string, unknown];
    if (name === 'Ref' || name.startsWith('Fn::')) return intrinsic(name, argument, context, conditionsSeen);
  }
  const out: Record<string, unknown> = {};
  for (const [key, item] of entries) {
    const resolved = resolveValue(item, context, conditionsSeen);
    if (resolved !== NO_VALUE) Object.defineProperty(out, key, { value: resolved, enumerable: true, writable: true, configurable: true });
  }
  return out;
}

function intrinsic(name: string, argument: unknown, context: IntrinsicContext, seen: Set<string>): unknown {
  const resolve = (v: unknown) => resolveValue(v, context, seen);
  switch (name) {
    case 'Ref':
      return ref(String(argument), context);
    case 'Fn::GetAtt': {
      const [id, attribute] = Array.isArray(argument) ? argument.map((a) => resolve(a)) : String(argument).split(/\.(.*)/s);
      if (typeof id !== 'string' || typeof attribute !== 'string')
        return unresolved(`Fn::GetAtt ${String(id)}.${String(attribute)}`, 'an attribute name that is not a string');
      const found = context.getAtt(id, attribute);
      return found === undefined ? unresolved(`Fn::GetAtt ${id}.${attribute}`, `the template declares no resource ${id}`) : found;
    }
    case 'Fn::Sub':
      return sub(argument, context, seen);
    case 'Fn::Join': {
      const [separator, list] = Array.isArray(argument) ? argument : [];
      const items = resolve(list);
      if (items instanceof Unresolved) return items;
      if (typeof separator !== 'string' || !Array.isArray(items)) return invalid(name);
      return joined(items, separator);
    }
    case 'Fn::If': {
      const [condition, whenTrue, whenFalse] = Array.isArray(argument) ? argument : [];
      const holds = conditionValue(String(condition), context, seen);
      if (holds instanceof Unresolved)
        return new Unresolved(`Fn::If ${String(condition)}`, `condition ${String(condition)} depends on ${holds.name}: ${holds.reason}`);
      return resolve(holds ? whenTrue : whenFalse);
    }
    case 'Fn::Select': {
      const [index, list] = Array.isArray(argument) ? argument.map(resolve) : [];
      if (index instanceof Unresolved) return index;
      if (list instanceof Unresolved) return list;
      const item = Array.isArray(list) ? list[Number(index)] : undefined;
      return item === undefined ? invalid(name) : item;
    }
    case 'Fn::Split': {
      const [separator, text] = Array.isArray(argument) ? argument.map(resolve) : [];
      if (text instanceof Unresolved) return text;
      return typeof separator === 'string' && typeof text === 'string' ? text.split(separator) : invalid(name);
    }
    case 'Fn::FindInMap': {
      const [map, top, second] = Array.isArray(argument) ? argument.map(resolve) : [];
      for (const part of [map, top, second]) if (part instanceof Unresolved) return part;
      const found = (context.mappings[String(map)] as Record<string, Record<string, unknown>> | undefined)?.[String(top)]?.[String(second)];
      return found === undefined
        ? unresolved(`Fn::FindInMap ${String(map)}.${String(top)}.${String(second)}`, 'the template maps no such value')
        : resolve(found);
    }
    case 'Fn::ImportValue': {
      const exportName = resolve(argument);
      if (exportName instanceof Unresolved) return exportName;
      const found = context.exported(String(exportName));
      return found === undefined
        ? unresolved(
            `Fn::ImportValue ${String(exportName)}`,
            `an export of another stack: give that stack's template too, or its value with --parameters ${String(exportName)}=VALUE`,
          )
        : found;
    }
    case 'Fn::Base64': {
      const text = resolve(argument);
      return typeof text === 'string' ? Buffer.from(text).toString('base64') : text;
    }
    case 'Fn::GetAZs':
      return unresolved('Fn::GetAZs', 'the Availability Zones of the Region, which only the account knows');
    case 'Fn::Equals':
    case 'Fn::And':
    case 'Fn::Or':
    case 'Fn::Not':
      return conditionFunction(name, argument, context, seen);
    case 'Fn::ToJsonString': {
      const resolved = resolve(argument);
      return containsUnresolved(resolved) ?? JSON.stringify(resolved);
    }
    default:
      return unresolved(name, `${name} is not evaluated by trailguard`);
  }
}

function ref(name: string, context: IntrinsicContext): unknown {
  switch (name) {
    case 'AWS::AccountId':
      return context.account;
    case 'AWS::Region':
      return context.region;
    case 'AWS::Partition':
      return context.partition;
    case 'AWS::URLSuffix':
      return context.partition === 'aws-cn' ? 'amazonaws.com.cn' : 'amazonaws.com';
    case 'AWS::StackName':
      return context.stackName;
    case 'AWS::StackId':
      return unresolved('Ref AWS::StackId', 'the stack id CloudFormation assigns at creation');
    case 'AWS::NotificationARNs':
      return [];
    case 'AWS::NoValue':
      return NO_VALUE;
  }
  const parameter = context.parameter(name);
  if (parameter !== undefined) return parameter;
  const resource = context.ref(name);
  if (resource !== undefined) return resource;
  return unresolved(`Ref ${name}`, 'the template declares no parameter or resource by that name');
}

/** `Fn::Sub` with its `${Name}`, `${Resource.Attribute}` and `${!Literal}` forms. */
function sub(argument: unknown, context: IntrinsicContext, seen: Set<string>): unknown {
  const [template, variables] = Array.isArray(argument) ? argument : [argument, {}];
  if (typeof template !== 'string') return invalid('Fn::Sub');
  const own = new Map<string, unknown>();
  for (const [key, value] of Object.entries((variables ?? {}) as Record<string, unknown>)) own.set(key, resolveValue(value, context, seen));
  let missing: Unresolved | undefined;
  const text = template.replace(/\$\{([^}]*)\}/g, (whole, inner: string) => {
    if (inner.startsWith('!')) return `\${${inner.slice(1)}}`;
    const name = inner.trim();
    let value = own.has(name) ? own.get(name) : undefined;
    if (value === undefined) {
      const dot = name.indexOf('.');
      value =
        dot > 0 && !name.startsWith('AWS::')
          ? intrinsic('Fn::GetAtt', [name.slice(0, dot), name.slice(dot + 1)], context, seen)
          : ref(name, context);
    }
    if (value instanceof Unresolved) {
      missing ??= value;
      return whole;
    }
    return Array.isArray(value) ? value.join(',') : String(value);
  });
  if (missing !== undefined) return new Unresolved(missing.name, missing.reason);
  return dynamicReference(text) ?? text;
}

/** `{{resolve:ssm:…}}` and `{{resolve:secretsmanager:…}}` are read by CloudFormation at deployment. */
export function dynamicReference(text: string): Unresolved | undefined {
  const match = /\{\{resolve:(ssm|ssm-secure|secretsmanager):([^}]*)\}\}/.exec(text);
  if (match === null) return undefined;
  return new Unresolved(
    match[0],
    `a dynamic reference to ${match[1] === 'secretsmanager' ? 'Secrets Manager' : 'SSM Parameter Store'}, read at deployment: give the value with --parameters`,
  );
}

function joined(items: readonly unknown[], separator: string): unknown {
  const missing = items.find((i) => i instanceof Unresolved);
  if (missing !== undefined) return missing;
  return items.map((i) => String(i)).join(separator);
}

/** A named condition's truth, or an Unresolved naming the value it depends on. */
export function conditionValue(name: string, context: IntrinsicContext, seen: Set<string> = new Set()): boolean | Unresolved {
  if (!(name in context.conditions)) return new Unresolved(`Condition ${name}`, 'the template declares no such condition');
  if (seen.has(name)) return new Unresolved(`Condition ${name}`, 'the condition refers to itself');
  const value = resolveValue(context.conditions[name], context, new Set([...seen, name]));
  if (value instanceof Unresolved) return value;
  return value === true || value === 'true';
}

function conditionFunction(name: string, argument: unknown, context: IntrinsicContext, seen: Set<string>): boolean | Unresolved {
  const operands = (Array.isArray(argument) ? argument : [argument]).map((operand) => {
    if (operand !== null && typeof operand === 'object' && !Array.isArray(operand) && 'Condition' in operand)
      return conditionValue(String((operand as { Condition: unknown }).Condition), context, seen);
    return resolveValue(operand, context, seen);
  });
  if (name === 'Fn::Equals') {
    const missing = operands.find((o) => o instanceof Unresolved);
    if (missing !== undefined) return missing as Unresolved;
    return JSON.stringify(operands[0]) === JSON.stringify(operands[1]);
  }
  const truths = operands.map((o) => (o instanceof Unresolved ? o : o === true || o === 'true'));
  const known = truths.filter((t): t is boolean => typeof t === 'boolean');
  const missing = truths.find((t): t is Unresolved => t instanceof Unresolved);
  if (name === 'Fn::Not') return missing ?? !known[0];
  if (name === 'Fn::And') return known.includes(false) ? false : (missing ?? true);
  return known.includes(true) ? true : (missing ?? false);
}

function unresolved(name: string, reason: string): Unresolved {
  return new Unresolved(name, reason);
}

function invalid(name: string): Unresolved {
  return new Unresolved(name, `${name} is not written as CloudFormation defines it`);
}

/** The first unresolved value inside a resolved value, if any. */
export function containsUnresolved(value: unknown): Unresolved | undefined {
  if (value instanceof Unresolved) return value;
  if (Array.isArray(value)) {
    for (const item of value) {
      const found = containsUnresolved(item);
      if (found !== undefined) return found;
    }
    return undefined;
  }
  if (value !== null && typeof value === 'object') {
    for (const item of Object.values(value)) {
      const found = containsUnresolved(item);
      if (found !== undefined) return found;
    }
  }
  if (typeof value === 'string') return dynamicReference(value);
  return undefined;
}
