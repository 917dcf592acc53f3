import type { Diagnostic } from '../core/errors.js';
import { UNRESOLVED_ERROR, Unresolved, type UnresolvedRecord, unresolvedMarker } from '../core/unresolved.js';
import { escapePointer } from '../input/schema-validation.js';
import type { KeyEntry, SnapshotDocument, SourceLocation } from '../snapshot/types.js';
import type { SourcePosition } from './template-source.js';

/** An import's snapshot, or the problems that stopped it (each located in its file). */
export interface ImportedSnapshot {
  readonly document?: SnapshotDocument;
  readonly diagnostics: readonly Diagnostic[];
  /** For each file imported, the file given that it belongs to (a nested stack's template, its top template's). */
  readonly roots?: Readonly<Record<string, string>>;
}

/** Finds the position of a path in a source file (a template's properties, a plan's JSON). */
export interface Locator {
  locate(path: readonly (string | number)[]): SourcePosition;
}

/** A trail's snapshot field, by the template property that sets it, where the names differ. */
const TRAIL_PROPERTY: Readonly<Record<string, string>> = {
  KmsKeyId: 'KMSKeyId',
  LogFileValidationEnabled: 'EnableLogFileValidation',
};

/**
 * Assembles a snapshot from infrastructure-as-code resources: every unresolved value becomes a marker naming it, with
 * a record of where the file writes it, and every trail and key the position of the resource that declares it.
 */
export class SnapshotBuilder {
  private readonly trails: Record<string, unknown>[] = [];
  private readonly keys: Record<string, KeyEntry> = {};
  private readonly locations: Record<string, SourceLocation> = {};
  private readonly unresolved: UnresolvedRecord[] = [];
  private readonly files: { path: string; sha256: string }[] = [];
  private given: { parameters?: Record<string, string>; stackName?: string } = {};

  constructor(
    private readonly account: string,
    private readonly partition: string,
    private readonly region: string,
    private readonly source: 'cloudformation' | 'terraform-plan',
  ) {}

  addFile(path: string, sha256: string): void {
    this.files.push({ path, sha256 });
  }

  /** What the import was told besides the files, recorded so the check can be repeated (`trailguard fix` on it). */
  recordSettings(parameters: Readonly<Record<string, string>>, stackName: string | undefined): void {
    this.given = {
      ...(Object.keys(parameters).length === 0 ? {} : { parameters: { ...parameters } }),
      ...(stackName === undefined ? {} : { stackName }),
    };
  }

  /** A key; `policyPath` is where the file writes its policy (for the position of unresolved values in it). */
  addKey(arn: string, entry: KeyEntry, location: SourceLocation, source: Locator, policyPath: readonly (string | number)[]): void {
    const pointer = `/keys/${escapePointer(arn)}`;
    let policy = entry.policy;
    let error = entry.error ?? null;
    if (policy instanceof Unresolved) {
      // A policy unresolved as a whole cannot be judged: the key reads as one whose policy could not be read.
      const at = source.locate(policyPath);
      this.unresolved.push({ name: policy.name, reason: policy.reason, at: `${pointer}/policy`, file: location.file, ...at });
      error = {
        code: UNRESOLVED_ERROR,
        operation: this.source === 'cloudformation' ? 'CloudFormation template' : 'Terraform plan',
        message: `it is ${policy.name}: ${policy.reason}`,
      };
      policy = null;
    } else {
      policy = this.markers(policy, `${pointer}/policy`, location.file, (path) => source.locate([...policyPath, ...path]));
    }
    this.keys[arn] = { ...entry, policy, error };
    this.locations[arn] = location;
  }

  /** A trail; `propertiesPath` is where the file writes its properties. */
  addTrail(trail: Record<string, unknown>, location: SourceLocation, source: Locator, propertiesPath: readonly (string | number)[]): void {
    const index = this.trails.length;
    const fields: Record<string, unknown> = {};
    for (const [field, value] of Object.entries(trail)) {
      fields[field] = this.markers(value, `/trails/${index}/${escapePointer(field)}`, location.file, (path) =>
        source.locate([...propertiesPath, TRAIL_PROPERTY[field] ?? field, ...path]),
      );
    }
    this.trails.push(fields);
    this.locations[String(trail.TrailARN)] = location;
  }

  document(): SnapshotDocument {
    return {
      schemaVersion: 1,
      account: { id: this.account, partition: this.partition },
      collection: {
        source: this.source,
        files: this.files,
        ...(this.unresolved.length === 0 ? {} : { unresolved: this.unresolved }),
        ...this.given,
      },
      regions: [this.region],
      trails: this.trails,
      keys: this.keys,
      locations: this.locations,
    };
  }

  /** The value with each unresolved part written as its marker, and recorded. */
  private markers(
    value: unknown,
    pointer: string,
    file: string,
    locate: (path: (string | number)[]) => SourcePosition,
    path: (string | number)[] = [],
  ): unknown {
    if (value instanceof Unresolved) {
      this.unresolved.push({ name: value.name, reason: value.reason, at: pointer, file, ...locate(path) });
      return unresolvedMarker(value);
    }
    if (Array.isArray(value)) return value.map((item, i) => this.markers(item, `${pointer}/${i}`, file, locate, [...path, i]));
    if (value !== null && typeof value === 'object') {
      const out: Record<string, unknown> = {};
      for (const [key, item] of Object.entries(value)) {
        Object.defineProperty(out, key, {
          value: this.markers(item, `${pointer}/${escapePointer(key)}`, file, locate, [...path, key]),
          enumerable: true,
          writable: true,
          configurable: true,
        });
      }
      return out;
    }
    return value;
  }
}
