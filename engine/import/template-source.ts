import { isAlias, isMap, isScalar, isSeq, LineCounter, type Node, parseDocument, type Scalar } from 'yaml';
import type { Diagnostic } from '../core/errors.js';
import { nodeOffset } from '../input/yaml-source.js';

/** Where a part of an infrastructure-as-code file is. */
export interface SourcePosition {
  readonly line: number;
  readonly column: number;
}

/** A template parsed with the position of every property, so a finding can point at the line that wrote it. */
export interface TemplateSource {
  readonly file: string;
  readonly data: unknown;
  /** The position of the value at a path (property names and list indexes), or of the nearest part that exists. */
  locate(path: readonly (string | number)[]): SourcePosition;
}

/**
 * CloudFormation's short-form tags and the intrinsic function each stands for (the "Intrinsic function reference":
 * `!Ref X` is `{ Ref: X }`, `!GetAtt A.B` is `{ "Fn::GetAtt": [A, B] }`).
 */
const SHORT_FORMS: Readonly<Record<string, string>> = {
  '!Ref': 'Ref',
  '!Condition': 'Condition',
  '!Base64': 'Fn::Base64',
  '!Cidr': 'Fn::Cidr',
  '!FindInMap': 'Fn::FindInMap',
  '!GetAtt': 'Fn::GetAtt',
  '!GetAZs': 'Fn::GetAZs',
  '!ImportValue': 'Fn::ImportValue',
  '!Join': 'Fn::Join',
  '!Select': 'Fn::Select',
  '!Split': 'Fn::Split',
  '!Sub': 'Fn::Sub',
  '!Transform': 'Fn::Transform',
  '!And': 'Fn::And',
  '!Equals': 'Fn::Equals',
  '!If': 'Fn::If',
  '!Not': 'Fn::Not',
  '!Or': 'Fn::Or',
  '!ToJsonString': 'Fn::ToJsonString',
  '!Length': 'Fn::Length',
  '!ForEach': 'Fn::ForEach',
};

/**
 * Parses a CloudFormation template written in YAML (with short-form tags) or JSON (YAML 1.2 reads JSON as it is), keeping
 * positions. The YAML library reads the text; the tags become the long-form intrinsic functions here, as the table
 * above maps them, because a library that turns them into objects loses the positions findings point at.
 */
export function parseTemplate(file: string, text: string): { source?: TemplateSource; diagnostics: Diagnostic[] } {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true, version: '1.2' });
  const at = (offset: number) => {
    const pos = lineCounter.linePos(offset);
    return { line: pos.line, column: pos.col };
  };
  const diagnostics: Diagnostic[] = doc.errors.map((error) => ({
    code: 'yaml-syntax',
    file,
    ...at(error.pos[0]),
    message: `template syntax: ${/call stack/i.test(error.message) ? 'the document is nested too deeply to read' : (error.message.split('\n')[0] ?? '')}`,
  }));
  if (diagnostics.length > 0) return { diagnostics };
  let aliases = 0;
  const convert = (node: unknown): unknown => {
    if (isAlias(node)) {
      // An alias repeats a node: a bounded number keep a crafted file from expanding into gigabytes.
      if (++aliases > 100) throw new TemplateShapeError('more than 100 YAML aliases', (node as Node).range?.[0] ?? 0);
      return convert(node.resolve(doc));
    }
    const value = plain(node, convert);
    const tag = (node as { tag?: string } | null)?.tag;
    if (tag === undefined || !tag.startsWith('!')) return value;
    const fn = SHORT_FORMS[tag];
    if (fn === undefined) {
      // The node starts after its tag: the error points at the tag itself.
      const start = rangeStart(node) ?? 0;
      const at = text.lastIndexOf(tag, start);
      throw new TemplateShapeError(
        `unknown tag ${tag}: CloudFormation's short forms are ${Object.keys(SHORT_FORMS).join(', ')}`,
        at < 0 ? start : at,
      );
    }
    if (fn === 'Fn::GetAtt' && typeof value === 'string') {
      const dot = value.indexOf('.');
      return { [fn]: dot < 0 ? [value] : [value.slice(0, dot), value.slice(dot + 1)] };
    }
    return { [fn]: value };
  };
  let data: unknown;
  try {
    data = convert(doc.contents);
  } catch (error) {
    if (!(error instanceof TemplateShapeError)) throw error;
    return { diagnostics: [{ code: 'template-syntax', file, ...at(error.offset), message: error.message }] };
  }
  // A property is reported where its name is: the line code scanning annotates.
  const locate = (path: readonly (string | number)[]) => at(nodeOffset(doc.contents, path, { properties: 'key', keyOf: keyText }));
  return { source: { file, data, locate }, diagnostics: [] };
}

class TemplateShapeError extends Error {
  constructor(
    message: string,
    readonly offset: number,
  ) {
    super(message);
  }
}

function plain(node: unknown, convert: (node: unknown) => unknown): unknown {
  if (isMap(node)) {
    const out: Record<string, unknown> = {};
    for (const pair of node.items) {
      const key = isScalar(pair.key) ? keyText(pair.key) : String(convert(pair.key));
      Object.defineProperty(out, key, { value: convert(pair.value), enumerable: true, writable: true, configurable: true });
    }
    return out;
  }
  if (isSeq(node)) return node.items.map(convert);
  if (isScalar(node)) return node.value;
  return null;
}

/**
 * A mapping key as text: CloudFormation reads every key as a string, so a plain `Null:` (the IAM condition operator)
 * is the text "Null", not YAML's null, and `012:` stays "012".
 */
function keyText(key: Scalar): string {
  return key.type === 'PLAIN' && typeof key.source === 'string' ? key.source : String(key.value);
}

function rangeStart(node: unknown): number | undefined {
  return (node as Node | null | undefined)?.range?.[0];
}
