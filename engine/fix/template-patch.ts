import { isAbsolute, relative } from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import { createTwoFilesPatch } from 'diff';
import { type Document, isMap, isSeq, LineCounter, type Node, type Pair, parseDocument, type YAMLMap, type YAMLSeq } from 'yaml';
import { statementsOf } from '../core/policy-statements.js';
import type { SourceLocation } from '../snapshot/types.js';

/** Where a template is deployed: the values its pseudo parameters stand for, written back as them in a patch. */
export interface Deployment {
  readonly account: string;
  readonly region: string;
  readonly partition: string;
}

/** A key policy fix as a change to the template that declares the key. */
export interface TemplatePatch {
  readonly file: string;
  /** A unified diff (`git apply`, `patch -p1`). */
  readonly patch: string;
  /** The whole template with the change made. */
  readonly patched: string;
}

/**
 * The template with the key's policy changed from `before` to `after`, written in the template's own language: a
 * statement the fix keeps stays as the template writes it (with its `!Sub`, `!If` and comments); a statement it adds
 * or changes is written in the template's syntax (YAML or JSON), the deployment's account, Region and partition
 * as `AWS::AccountId`, `AWS::Region` and `AWS::Partition`. A string says why no patch can be made.
 */
export function templatePatch(
  text: string,
  location: SourceLocation,
  before: unknown,
  after: unknown,
  deployment: Deployment,
): TemplatePatch | string {
  const json = /^\s*\{/.test(text);
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, keepSourceTokens: false });
  const policy = doc.getIn(['Resources', location.resource, 'Properties', 'KeyPolicy'], true) as Node | undefined;
  if (policy === undefined) {
    const made = withKeyPolicy(text, doc, location.resource, after, deployment, json);
    return typeof made === 'string' ? made : patchOf(text, made.patched, location);
  }
  if (!isMap(policy))
    return `the KeyPolicy of ${location.resource} is not written as a mapping (it is built by a function): change it by hand to the policy in policy.json`;
  const list = (policy as YAMLMap).get('Statement', true) as Node | undefined;
  if (!isSeq(list) || list.items.length === 0)
    return `the Statement of ${location.resource}'s KeyPolicy is not written as a list: change it by hand to the policy in policy.json`;
  const seq = list as YAMLSeq;
  const oldStatements = statementsOf(before);
  const positions = location.statements ?? [];
  if (positions.length !== oldStatements.length)
    return `the statements of ${location.resource}'s KeyPolicy could not be matched to the template: change it by hand`;
  // The template's item for each statement of the policy as imported.
  const items = positions.map((p) =>
    seq.items.find((item) => {
      const start = (item as Node).range?.[0];
      if (start === undefined) return false;
      const pos = lineCounter.linePos(start);
      return pos.line === p.line && pos.col === p.column;
    }),
  );
  if (items.some((i) => i === undefined))
    return `the statements of ${location.resource}'s KeyPolicy could not be matched to the template: change it by hand`;
  const flow = json || seq.flow === true;
  const firstStart = (seq.items[0] as Node).range?.[0] ?? 0;
  const indent = flow ? indentOf(text, firstStart) : columnOfDash(text, firstStart);
  const newStatements = statementsOf(after);
  const render = (statement: unknown) => (flow ? jsonItem(statement, deployment, indent) : yamlItem(statement, deployment, indent));
  const verbatim = (item: Node) => (flow ? text.slice(item.range?.[0], item.range?.[1]) : blockItemText(text, item, indent));
  const added = newStatements.filter((statement) => !oldStatements.some((old) => isDeepStrictEqual(old, statement)));
  const sid = (statement: unknown) => (statement as { Sid?: unknown } | null)?.Sid;
  // Every item of the template's list in its place: one the fixed policy keeps (or that resolves to no statement, an
  // `!If` choosing AWS::NoValue) as written; one it drops, replaced by the added statement of the same Sid, if any.
  const pieces: string[] = [];
  for (const item of seq.items as Node[]) {
    const index = items.indexOf(item);
    const old = index < 0 ? undefined : oldStatements[index];
    if (index < 0 || newStatements.some((statement) => isDeepStrictEqual(statement, old))) {
      pieces.push(verbatim(item));
      continue;
    }
    const replacement = added.findIndex((statement) => sid(statement) !== undefined && sid(statement) === sid(old));
    if (replacement >= 0) pieces.push(render(added.splice(replacement, 1)[0]));
  }
  pieces.push(...added.map(render));
  let patched: string;
  if (flow) {
    const [start, end] = seq.range ?? [0, 0];
    const close = text.lastIndexOf(']', end);
    const outer = indentOf(text, start);
    patched = `${text.slice(0, start)}[\n${pieces.map((p) => `${' '.repeat(indent)}${p.trimStart()}`).join(',\n')}\n${' '.repeat(outer)}]${text.slice(close + 1)}`;
  } else {
    const firstLine = itemLineStart(text, firstStart, indent);
    const last = seq.items[seq.items.length - 1] as Node;
    const end = lineEnd(text, last.range?.[1] ?? firstStart);
    patched = `${text.slice(0, firstLine)}${pieces.join('')}${text.slice(end)}`;
  }
  return patchOf(text, patched, location);
}

function patchOf(text: string, patched: string, location: SourceLocation): TemplatePatch {
  const relativeName = relative(process.cwd(), location.file);
  const name = (relativeName.startsWith('..') || isAbsolute(relativeName) ? location.file : relativeName).replaceAll('\\', '/');
  const patch = createTwoFilesPatch(`a/${name}`, `b/${name}`, text, patched, undefined, undefined, { context: 3 }).replace(/^=+\n/, '');
  return { file: location.file, patch, patched };
}

/**
 * The template with a KeyPolicy given to a key that declares none (KMS gives such a key its default policy, which
 * the fixed policy keeps): added as the last of its Properties, or with a Properties of its own when it has none.
 */
function withKeyPolicy(
  text: string,
  doc: Document,
  resource: string,
  after: unknown,
  d: Deployment,
  json: boolean,
): { patched: string } | string {
  const node = doc.getIn(['Resources', resource], true) as Node | undefined;
  const properties = doc.getIn(['Resources', resource, 'Properties'], true) as Node | undefined;
  const target = properties === undefined ? node : properties;
  if (!isMap(target))
    return `the Properties of ${resource} are not written as a mapping: give it a KeyPolicy by hand with the policy in policy.json`;
  const [name, value] = properties === undefined ? ['Properties', { KeyPolicy: after }] : ['KeyPolicy', after];
  const map = target as YAMLMap;
  const pairs = map.items as Pair<Node, Node | null>[];
  const last = pairs[pairs.length - 1];
  const lastEnd = last?.value?.range?.[1] ?? last?.key?.range?.[1];
  if (json || map.flow === true) {
    const [start, end] = map.range ?? [0, 0];
    const close = text.lastIndexOf('}', end);
    if (lastEnd === undefined) {
      const pad = indentOf(text, start) + 2;
      return { patched: `${text.slice(0, start)}{ ${JSON.stringify(name)}: ${jsonItem(value, d, pad)} }${text.slice(close + 1)}` };
    }
    // A map written across lines gets the entry on a line of its own, under the last one; one written on a line
    // gets it on that line.
    const keyStart = last?.key?.range?.[0] ?? start;
    const ownLine = lineStart(text, keyStart) !== lineStart(text, start);
    const pad = ownLine ? keyStart - lineStart(text, keyStart) : indentOf(text, start) + 2;
    const entry = `${JSON.stringify(name)}: ${jsonItem(value, d, pad)}`;
    return { patched: `${text.slice(0, lastEnd)},${ownLine ? `\n${' '.repeat(pad)}` : ' '}${entry}${text.slice(lastEnd)}` };
  }
  const firstKey = (pairs[0]?.key as Node | undefined)?.range?.[0];
  if (firstKey === undefined || lastEnd === undefined)
    return `${resource} is not written as a mapping: give it a KeyPolicy by hand with the policy in policy.json`;
  const pad = firstKey - lineStart(text, firstKey);
  const at = lineEnd(text, lastEnd);
  const lines = [`${' '.repeat(pad)}${name}:`, ...yamlLines(value, d, pad + 2)];
  const newline = at > 0 && text[at - 1] !== '\n' ? '\n' : '';
  return { patched: `${text.slice(0, at)}${newline}${lines.map((l) => `${l}\n`).join('')}${text.slice(at)}` };
}

function lineStart(text: string, offset: number): number {
  return text.lastIndexOf('\n', offset - 1) + 1;
}

/** The end of the line holding the item's last character (its newline included). */
function lineEnd(text: string, offset: number): number {
  let end = offset;
  // A block item's range ends after its trailing newline: step back onto its own last line.
  while (end > 0 && (text[end - 1] === '\n' || text[end - 1] === ' ')) end--;
  const newline = text.indexOf('\n', end);
  return newline < 0 ? text.length : newline + 1;
}

function indentOf(text: string, offset: number): number {
  const start = lineStart(text, offset);
  return /^ */.exec(text.slice(start))?.[0].length ?? 0;
}

function columnOfDash(text: string, itemStart: number): number {
  const start = lineStart(text, itemStart);
  const dash = text.lastIndexOf('-', itemStart);
  return dash >= start ? dash - start : indentOf(text, itemStart);
}

/** A block sequence item as the template writes it: its whole lines, from the dash to its last line. */
function blockItemText(text: string, item: Node, indent: number): string {
  return text.slice(itemLineStart(text, item.range?.[0] ?? 0, indent), lineEnd(text, item.range?.[1] ?? 0));
}

/**
 * The start of the line holding an item's dash: a tagged item (`- !If` with its list below) starts its node on a
 * later line than its dash.
 */
function itemLineStart(text: string, offset: number, indent: number): number {
  let start = lineStart(text, offset);
  while (start > 0 && !new RegExp(`^ {${indent}}-( |$)`).test(text.slice(start, text.indexOf('\n', start) + 1 || undefined))) {
    start = lineStart(text, start - 1);
  }
  return start;
}

/** A string with the deployment's partition, Region and account in an ARN written as CloudFormation pseudo parameters. */
function substituted(text: string, d: Deployment): string | undefined {
  if (text === d.account) return undefined;
  if (!text.startsWith('arn:')) return undefined;
  const fields = text.split(':');
  if (fields.length < 6) return undefined;
  const [, partition, service, region, account] = fields;
  if (partition !== d.partition && region !== d.region && account !== d.account) return undefined;
  const escaped = (s: string) => s.replaceAll('${', '${!');
  return [
    'arn',
    partition === d.partition ? '${AWS::Partition}' : escaped(partition ?? ''),
    escaped(service ?? ''),
    region === d.region ? '${AWS::Region}' : escaped(region ?? ''),
    account === d.account ? '${AWS::AccountId}' : escaped(account ?? ''),
    ...fields.slice(5).map(escaped),
  ].join(':');
}

/** A new statement as a YAML block sequence item at `indent`. */
function yamlItem(statement: unknown, d: Deployment, indent: number): string {
  const lines = yamlLines(statement, d, indent + 2);
  const first = (lines[0] ?? '').trimStart();
  return `${' '.repeat(indent)}- ${first}\n${lines
    .slice(1)
    .map((l) => `${l}\n`)
    .join('')}`;
}

function yamlScalar(value: unknown, d: Deployment): string {
  if (typeof value === 'string') {
    if (value === d.account) return '!Ref AWS::AccountId';
    const sub = substituted(value, d);
    return sub === undefined ? JSON.stringify(value) : `!Sub ${JSON.stringify(sub)}`;
  }
  return JSON.stringify(value);
}

/** A mapping key YAML reads as the same text written plain. */
const PLAIN_KEY = /^[A-Za-z][A-Za-z0-9_]*$/;
/**
 * Words YAML 1.1 (CloudFormation's, and cfn-lint's) reads as null or a boolean, whatever their case: the IAM
 * condition operator `Null` is one, and written plain it is a null key cfn-lint rejects (E0000).
 */
const YAML_WORDS = /^(null|true|false|yes|no|on|off|y|n)$/i;

function yamlLines(value: unknown, d: Deployment, indent: number): string[] {
  const pad = ' '.repeat(indent);
  if (Array.isArray(value)) {
    if (value.every((v) => v === null || typeof v !== 'object')) return value.map((v) => `${pad}- ${yamlScalar(v, d)}`);
    return value.flatMap((v) => {
      const inner = yamlLines(v, d, indent + 2);
      return [`${pad}- ${(inner[0] ?? '').trimStart()}`, ...inner.slice(1)];
    });
  }
  if (value !== null && typeof value === 'object') {
    return Object.entries(value).flatMap(([key, item]) => {
      const name = PLAIN_KEY.test(key) && !YAML_WORDS.test(key) ? key : JSON.stringify(key);
      if (item !== null && typeof item === 'object' && Object.keys(item).length > 0)
        return [`${pad}${name}:`, ...yamlLines(item, d, indent + 2)];
      if (item !== null && typeof item === 'object') return [`${pad}${name}: ${Array.isArray(item) ? '[]' : '{}'}`];
      return [`${pad}${name}: ${yamlScalar(item, d)}`];
    });
  }
  return [`${pad}${yamlScalar(value, d)}`];
}

/** A new statement as JSON at `indent`, with `Fn::Sub` where it names the deployment. */
function jsonItem(statement: unknown, d: Deployment, indent: number): string {
  const withSub = (value: unknown): unknown => {
    if (typeof value === 'string') {
      if (value === d.account) return { Ref: 'AWS::AccountId' };
      const sub = substituted(value, d);
      return sub === undefined ? value : { 'Fn::Sub': sub };
    }
    if (Array.isArray(value)) return value.map(withSub);
    if (value !== null && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, withSub(v)]));
    return value;
  };
  return JSON.stringify(withSub(statement), null, 2)
    .split('\n')
    .map((line, i) => (i === 0 ? line : `${' '.repeat(indent)}${line}`))
    .join('\n');
}
