import { stat } from 'node:fs/promises';
import { relative } from 'node:path';
import { type Diagnostic, type ErrorCode, lineColumn } from '../core/errors.js';
import type { DuplicateKey } from './json-duplicates.js';
import { locateInJson } from './json-location.js';
import { readStreamedJson } from './json-stream.js';
import { type InputKind, parseJsonText, readTextFile, SIZE_LIMITS, STREAMED_KINDS, STREAMED_LIMIT, tooLarge } from './read-input.js';
import { loadSchemaValidator, type SchemaValidator } from './schema-validation.js';
import { parseYaml, type YamlSource } from './yaml-source.js';

/**
 * The one way trailguard reads a file it did not write: a path becomes a located document. `readTextFile` checks the
 * kind's size limit, the file type and UTF-8; the JSON and YAML readers add positions, located syntax errors and
 * repeated names; `schemaProblems` checks the document against a shipped schema and locates each problem. Every
 * loader (snapshots, results, rules, pack.yaml, params, rule tests, waivers, templates) goes through here.
 */

/** A JSON document, with how to find a JSON Pointer or a repeated name's offset in its file. */
export interface JsonDocument {
  readonly file: string;
  readonly data: unknown;
  readonly sha256: string;
  /** The repeated names `ignore` left to a more specific check (with their pointers and offsets). */
  readonly repeated: readonly DuplicateKey[];
  locate(pointer: string, atKey?: boolean): { line: number; column: number };
  /** The line and column of an offset `repeated` gives. */
  at(offset: number): { line: number; column: number };
}

/**
 * Reads and parses a JSON file; `ignore` leaves some repeated names to a more specific check. A snapshot or results
 * file longer than `streamAbove` bytes (by default, the longest string Node.js holds) is read in chunks
 * (json-stream.ts).
 */
export async function readJsonFile(
  file: string,
  kind: InputKind,
  ignore?: (duplicate: DuplicateKey) => boolean,
  streamAbove: number = SIZE_LIMITS[kind],
): Promise<JsonDocument> {
  if (STREAMED_KINDS.has(kind)) {
    const size = await stat(file).then(
      (info) => (info.isFile() ? info.size : -1),
      () => -1,
    );
    if (size > streamAbove) {
      if (size > STREAMED_LIMIT) throw tooLarge(file, kind, size, STREAMED_LIMIT);
      return { file, ...readStreamedJson(file, kind, ignore) };
    }
  }
  const { text, sha256 } = await readTextFile(file, kind);
  const { data, ignored } = parseJsonText(text, file, ignore);
  return {
    file,
    data,
    sha256,
    repeated: ignored,
    locate: (pointer, atKey) => locateInJson(text, pointer, atKey),
    at: (offset) => lineColumn(text, offset),
  };
}

/** Reads and parses a YAML file, shown in messages as `shown`: the document, or its syntax problems. */
export async function readYamlFile(
  file: string,
  kind: InputKind,
  shown: string = displayName(file),
): Promise<{ source?: YamlSource; diagnostics: Diagnostic[] }> {
  return parseYaml(shown, (await readTextFile(file, kind)).text);
}

const validators = new Map<string, SchemaValidator>();

/**
 * The problems of a document against a schema in `schemas/`, each located in its file with `code`; `prefix` starts
 * each message (`pack.yaml: `).
 */
export function schemaProblems(
  schema: string,
  document: { readonly file: string; readonly data: unknown; locate(pointer: string, atKey?: boolean): { line: number; column: number } },
  code: ErrorCode,
  prefix = '',
): Diagnostic[] {
  let validator = validators.get(schema);
  if (validator === undefined) {
    validator = loadSchemaValidator(schema);
    validators.set(schema, validator);
  }
  return validator
    .validate(document.data)
    .map((p) => ({ code, file: document.file, ...document.locate(p.pointer, p.atKey), message: `${prefix}${p.message}` }));
}

/** Paths in messages are relative to the working folder when inside it, so they read like a compiler's. */
export function displayName(file: string): string {
  const rel = relative(process.cwd(), file);
  return rel.startsWith('..') ? file : rel;
}
