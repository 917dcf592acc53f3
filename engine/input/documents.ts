import { relative } from 'node:path';
import type { Diagnostic, ErrorCode } from '../core/errors.js';
import type { DuplicateKey } from './json-duplicates.js';
import { locateInJson } from './json-location.js';
import { type InputKind, parseJsonText, readTextFile } from './read-input.js';
import { loadSchemaValidator, type SchemaValidator } from './schema-validation.js';
import { parseYaml, type YamlSource } from './yaml-source.js';

/**
 * The one way trailguard reads a file it did not write: a path becomes a located document. `readTextFile` checks the
 * kind's size limit, the file type and UTF-8; the JSON and YAML readers add positions, located syntax errors and
 * repeated names; `schemaProblems` checks the document against a shipped schema and locates each problem. Every
 * loader (snapshots, results, rules, pack.yaml, params, rule tests, waivers, templates) goes through here.
 */

/** A JSON document with its text (for a file's SHA-256 and for locating later problems). */
export interface JsonDocument {
  readonly file: string;
  readonly data: unknown;
  readonly text: string;
  readonly sha256: string;
  /** The repeated names `ignore` left to a more specific check (with their pointers and offsets). */
  readonly repeated: readonly DuplicateKey[];
  locate(pointer: string, atKey?: boolean): { line: number; column: number };
}

/** Reads and parses a JSON file; `ignore` leaves some repeated names to a more specific check. */
export async function readJsonFile(file: string, kind: InputKind, ignore?: (duplicate: DuplicateKey) => boolean): Promise<JsonDocument> {
  const { text, sha256 } = await readTextFile(file, kind);
  const { data, ignored } = parseJsonText(text, file, ignore);
  return { file, data, text, sha256, repeated: ignored, locate: (pointer, atKey) => locateInJson(text, pointer, atKey) };
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
