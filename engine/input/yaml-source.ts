import { isMap, isPair, isScalar, isSeq, LineCounter, type Node, parseDocument, type Scalar } from 'yaml';
import type { Diagnostic, ErrorCode } from '../core/errors.js';
import { pointerSegments } from './schema-validation.js';

/** A parsed YAML file that can say where any part of it is. */
export interface YamlSource {
  readonly file: string;
  readonly data: unknown;
  /** Line and column of a JSON Pointer into the data (the property name itself when `atKey`). */
  locate(pointer: string, atKey?: boolean): { line: number; column: number };
  /** A diagnostic located at a pointer. */
  problem(code: ErrorCode, pointer: string, message: string, atKey?: boolean): Diagnostic;
}

/**
 * Parses YAML keeping positions. Syntax errors (and duplicate keys) come back as diagnostics with line:col;
 * aliases are limited so a crafted file cannot expand into gigabytes.
 */
export function parseYaml(file: string, text: string): { source?: YamlSource; diagnostics: Diagnostic[] } {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true });
  const diagnostics: Diagnostic[] = doc.errors.map((error) => {
    const pos = lineCounter.linePos(error.pos[0]);
    const message = /call stack/i.test(error.message) ? 'the document is nested too deeply to read' : firstLine(error.message);
    return { code: 'yaml-syntax', file, line: pos.line, column: pos.col, message: `YAML syntax: ${message}` };
  });
  if (diagnostics.length > 0) return { diagnostics };
  let data: unknown;
  try {
    data = doc.toJS({ maxAliasCount: 100 });
  } catch (error) {
    return { diagnostics: [{ code: 'yaml-syntax', file, line: 1, column: 1, message: `YAML: ${(error as Error).message}` }] };
  }
  const locate = (pointer: string, atKey = false) => {
    const offset = nodeOffset(doc.contents, pointerSegments(pointer), { properties: 'value', atKey });
    const pos = lineCounter.linePos(offset);
    return { line: pos.line, column: pos.col };
  };
  const problem = (code: ErrorCode, pointer: string, message: string, atKey = false): Diagnostic => ({
    code,
    file,
    ...locate(pointer, atKey),
    message,
  });
  return { source: { file, data, locate, problem }, diagnostics: [] };
}

/** How `nodeOffset` finds a property: where it reports one, and how it reads a key. */
export interface OffsetOptions {
  /** `value`: a property is where its value starts (its name with `atKey` for the last one); `key`: where its name is. */
  readonly properties: 'value' | 'key';
  readonly atKey?: boolean;
  /** A key as text (default: its YAML value as a string). */
  readonly keyOf?: (key: Scalar) => string;
}

/**
 * The offset of the node a path leads to in a parsed YAML (or JSON) document, or of the nearest part of the path
 * that exists.
 */
export function nodeOffset(root: unknown, segments: readonly (string | number)[], options: OffsetOptions): number {
  const keyOf = options.keyOf ?? ((key: Scalar) => String(key.value));
  let node: unknown = root;
  let offset = rangeStart(node) ?? 0;
  for (let i = 0; i < segments.length; i++) {
    const segment = String(segments[i]);
    if (isMap(node)) {
      const pair = node.items.find((p) => isPair(p) && isScalar(p.key) && keyOf(p.key) === segment);
      if (pair === undefined) return offset;
      const keyStart = rangeStart(pair.key);
      if (i === segments.length - 1 && options.atKey === true && keyStart !== undefined) return keyStart;
      node = pair.value;
      offset = (options.properties === 'key' ? keyStart : (rangeStart(node) ?? keyStart)) ?? offset;
    } else if (isSeq(node)) {
      node = node.items[Number(segment)];
      if (node === undefined) return offset;
      offset = rangeStart(node) ?? offset;
    } else {
      return offset;
    }
  }
  return offset;
}

function rangeStart(node: unknown): number | undefined {
  return (node as Node | null | undefined)?.range?.[0];
}

function firstLine(message: string): string {
  return message.split('\n')[0] ?? message;
}
