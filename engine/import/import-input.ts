import { constants as fsConstants } from 'node:fs';
import { open, stat } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { TrailguardError } from '../core/errors.js';
import { readTextFile } from '../input/read-input.js';
import { inMemorySnapshot } from '../snapshot/load-snapshot.js';
import type { LoadedSnapshot } from '../snapshot/types.js';
import { type CloudFormationOptions, importCloudFormation, type TemplateFile } from './cloudformation.js';
import type { ImportedSnapshot } from './snapshot-builder.js';
import { importTerraformPlan, type TerraformPlanOptions } from './terraform-plan.js';

/** What an input file holds: a snapshot, CloudFormation template(s) or a Terraform plan (`terraform show -json`). */
export type InputFileKind = 'snapshot' | 'cloudformation' | 'terraform-plan';

/** Options for inputs that describe a deployment rather than record one. */
export interface ImportOptions {
  readonly account?: string | undefined;
  readonly region?: string | undefined;
  readonly parameters?: Readonly<Record<string, unknown>> | undefined;
  readonly stackName?: string | undefined;
}

/**
 * What a file holds, told from its first bytes: a Terraform plan names `terraform_version`, a CloudFormation
 * template `AWSTemplateFormatVersion` or `Resources`, a snapshot `schemaVersion`; a YAML file is a template when it
 * has a `Resources` or `AWSTemplateFormatVersion` line (a rule file has neither).
 */
export async function inputKind(path: string): Promise<InputFileKind> {
  let head: string;
  try {
    // Only a regular file is peeked at: opening a named pipe would wait for a writer for ever.
    if (!(await stat(path)).isFile()) return 'snapshot';
    const handle = await open(path, fsConstants.O_RDONLY | fsConstants.O_NONBLOCK);
    try {
      const buffer = Buffer.alloc(65536);
      const { bytesRead } = await handle.read(buffer, 0, buffer.length, 0);
      head = buffer.subarray(0, bytesRead).toString('utf8');
    } finally {
      await handle.close();
    }
  } catch {
    // The snapshot loader reports a missing or unreadable file in its words.
    return 'snapshot';
  }
  if (/^\s*[{[]/.test(head)) {
    if (/"terraform_version"\s*:/.test(head) && /"format_version"\s*:/.test(head)) return 'terraform-plan';
    if (/"schemaVersion"\s*:/.test(head)) return 'snapshot';
    if (/"(AWSTemplateFormatVersion|Resources)"\s*:/.test(head)) return 'cloudformation';
    return 'snapshot';
  }
  return /^(AWSTemplateFormatVersion|Resources)\s*:/m.test(head) ? 'cloudformation' : 'snapshot';
}

/** Imports CloudFormation templates (one snapshot for them all: exports of one resolve imports of another). */
export async function importTemplates(paths: readonly string[], options: ImportOptions): Promise<ImportedSnapshot> {
  const target = deployment(paths[0] ?? 'template', options);
  const files = await Promise.all(paths.map(async (path) => ({ path, ...(await readTextFile(path, 'template file')) })));
  const nested = await nestedTemplates(files);
  return importCloudFormation(files, {
    ...target,
    ...(options.parameters === undefined ? {} : { parameters: options.parameters }),
    ...(options.stackName === undefined ? {} : { stackName: options.stackName }),
    nested: (parent, url) => nested.get(nestedPath(parent, url) ?? ''),
  });
}

/** Imports a Terraform plan (`terraform show -json PLANFILE`). */
export async function importPlan(path: string, options: ImportOptions): Promise<ImportedSnapshot> {
  checkDeployment(options);
  const file = await readTextFile(path, 'terraform plan');
  const planOptions: TerraformPlanOptions = {
    ...(options.account === undefined ? {} : { account: options.account }),
    ...(options.region === undefined ? {} : { region: options.region }),
  };
  return importTerraformPlan({ path, ...file }, planOptions);
}

/** The local file a nested stack's TemplateURL names, relative to its parent; undefined for a URL. */
function nestedPath(parent: string, url: string): string | undefined {
  if (/^[a-z][a-z0-9+.-]*:/i.test(url)) return undefined;
  return join(dirname(parent), url);
}

/** Every local template the given ones nest, read ahead (the import itself reads nothing). */
async function nestedTemplates(files: readonly TemplateFile[]): Promise<Map<string, TemplateFile>> {
  const found = new Map<string, TemplateFile>();
  let frontier = [...files];
  for (let depth = 0; depth <= 5 && frontier.length > 0; depth++) {
    const next: TemplateFile[] = [];
    for (const file of frontier) {
      const urls = [...file.text.matchAll(/TemplateURL["']?\s*:\s*["']?([^\s"'#,}]+)/g)].map((m) => m[1] as string);
      for (const url of urls) {
        const path = nestedPath(file.path, url);
        if (path === undefined || found.has(path)) continue;
        const read = await readTextFile(path, 'template file').catch(() => undefined);
        if (read === undefined) continue;
        const nestedFile = { path, ...read };
        found.set(path, nestedFile);
        next.push(nestedFile);
      }
    }
    frontier = next;
  }
  return found;
}

function deployment(path: string, options: ImportOptions): Pick<CloudFormationOptions, 'account' | 'region'> {
  const missing = [options.account === undefined ? '--account' : '', options.region === undefined ? '--region' : ''].filter(Boolean);
  if (missing.length > 0)
    throw new TrailguardError({
      code: 'usage',
      file: path,
      message: `a CloudFormation template is resolved for one account and Region: give ${missing.join(' and ')} (the account id and Region it would be deployed in)`,
    });
  checkDeployment(options);
  return { account: options.account as string, region: options.region as string };
}

/** The account and Region given, when given, are ones AWS could have. */
function checkDeployment(options: ImportOptions): void {
  if (options.account !== undefined && !/^\d{12}$/.test(options.account))
    throw new TrailguardError({
      code: 'usage',
      message: `--account must be a 12-digit account id, found ${JSON.stringify(options.account)}`,
    });
  if (options.region !== undefined && !/^[a-z]{2}(-[a-z]+)+-\d+$/.test(options.region))
    throw new TrailguardError({
      code: 'usage',
      message: `--region must be a Region name such as eu-west-1, found ${JSON.stringify(options.region)}`,
    });
}

/** An import's snapshot, validated as a snapshot file would be, named after (and hashed as) the first file. */
export function importedSnapshot(result: ImportedSnapshot, path: string, sha256: string): LoadedSnapshot {
  if (result.document === undefined) throw new TrailguardError([...result.diagnostics]);
  const loaded = inMemorySnapshot(result.document, path);
  return { ...loaded, sha256 };
}

/**
 * The inputs of a check as snapshots: snapshot files are left to the snapshot loader; each template or plan is
 * imported into an in-memory snapshot named after its file. Templates given together are imported together, so
 * the exports of one resolve the imports of another.
 */
export async function importInputs(
  paths: readonly (string | LoadedSnapshot)[],
  options: ImportOptions,
): Promise<(string | LoadedSnapshot)[]> {
  const kinds = await Promise.all(paths.map((p) => (typeof p === 'string' ? inputKind(p) : Promise.resolve('snapshot' as const))));
  const templates = paths.filter((p, i): p is string => kinds[i] === 'cloudformation');
  const out: (string | LoadedSnapshot)[] = [];
  const errors: unknown[] = [];
  if (templates.length > 0) {
    try {
      const imported = await importTemplates(templates, options);
      if (imported.document === undefined) throw new TrailguardError([...imported.diagnostics]);
      // One snapshot per template, so each finding is reported against the file that declares its resource.
      for (const template of templates) {
        const ours = (file: string) => (imported.roots?.[file] ?? file) === template;
        out.push(
          importedSnapshot(
            { document: onlyFiles(imported.document, ours), diagnostics: [] },
            template,
            fileHash(imported.document, template),
          ),
        );
      }
    } catch (error) {
      errors.push(error);
    }
  }
  for (const [i, path] of paths.entries()) {
    if (kinds[i] === 'cloudformation') continue;
    if (kinds[i] === 'terraform-plan') {
      try {
        const result = await importPlan(path as string, options);
        out.push(importedSnapshot(result, path as string, fileHash(result.document, path as string)));
      } catch (error) {
        errors.push(error);
      }
    } else out.push(path);
  }
  if (errors.length > 0)
    throw errors.length === 1 ? errors[0] : new TrailguardError(errors.flatMap((e) => (e instanceof TrailguardError ? e.diagnostics : [])));
  return out;
}

function fileHash(document: ImportedSnapshot['document'], path: string): string {
  return document?.collection?.files?.find((f) => f.path === path)?.sha256 ?? '';
}

/** The part of a several-template snapshot that one template (with the stacks it nests) declares. */
function onlyFiles(
  document: NonNullable<ImportedSnapshot['document']>,
  ours: (file: string) => boolean,
): NonNullable<ImportedSnapshot['document']> {
  const locations = document.locations ?? {};
  const mine = (arn: string) => ours(locations[arn]?.file ?? '');
  const trails = document.trails.filter((t) => mine(String(t.TrailARN)));
  const indexes = document.trails.flatMap((t, i) => (mine(String(t.TrailARN)) ? [i] : []));
  const keys = Object.fromEntries(Object.entries(document.keys).filter(([arn]) => mine(arn)));
  const unresolved = (document.collection?.unresolved ?? [])
    .filter((u) => ours(u.file))
    .map((u) => {
      const trail = /^\/trails\/(\d+)(\/.*)$/.exec(u.at);
      return trail === null ? u : { ...u, at: `/trails/${indexes.indexOf(Number(trail[1]))}${trail[2]}` };
    });
  const { unresolved: _all, files: _every, ...settings } = document.collection ?? { source: 'cloudformation' };
  return {
    ...document,
    collection: {
      ...settings,
      source: 'cloudformation',
      files: (document.collection?.files ?? []).filter((f) => ours(f.path)),
      ...(unresolved.length === 0 ? {} : { unresolved }),
    },
    trails,
    keys,
    locations: Object.fromEntries(Object.entries(locations).filter(([arn]) => mine(arn))),
  };
}
