import { createHash } from 'node:crypto';
import type { Diagnostic } from '../core/errors.js';
import { defaultKeyPolicy } from '../core/policy-statements.js';
import { Unresolved } from '../core/unresolved.js';
import { locateInJson } from '../input/json-location.js';
import type { KeyEntry } from '../snapshot/types.js';
import { partitionOf } from './cloudformation.js';
import { type ImportedSnapshot, SnapshotBuilder } from './snapshot-builder.js';

/** The account and Region, when the plan does not say them. */
export interface TerraformPlanOptions {
  readonly account?: string;
  readonly region?: string;
}

interface PlanResource {
  readonly address: string;
  readonly mode?: string;
  readonly type: string;
  readonly name: string;
  readonly values?: Record<string, unknown>;
}

interface PlanModule {
  readonly address?: string;
  readonly resources?: readonly PlanResource[];
  readonly child_modules?: readonly PlanModule[];
}

interface ConfigModule {
  readonly resources?: readonly { address: string; expressions?: Record<string, Expression> }[];
  readonly outputs?: Record<string, { expression?: Expression }>;
  readonly module_calls?: Record<string, { expressions?: Record<string, Expression>; module?: ConfigModule }>;
}

interface Expression {
  readonly constant_value?: unknown;
  readonly references?: readonly string[];
}

interface Plan {
  readonly format_version?: string;
  readonly terraform_version?: string;
  readonly planned_values?: { root_module?: PlanModule };
  readonly prior_state?: { values?: { root_module?: PlanModule } };
  readonly resource_changes?: readonly { address: string; change?: { after_unknown?: Record<string, unknown> } }[];
  readonly configuration?: {
    provider_config?: Record<string, { name?: string; expressions?: Record<string, Expression> }>;
    root_module?: ConfigModule;
  };
  readonly variables?: Record<string, { value?: unknown }>;
}

/** A resource of the plan, with where it sits in the plan's JSON. */
interface Located extends PlanResource {
  readonly pointer: string;
  readonly unknown: Readonly<Record<string, unknown>>;
  /** The module path (`module.a.module.b.`) its configuration references are relative to. */
  readonly modulePrefix: string;
}

/**
 * A snapshot of what a Terraform plan (`terraform show -json PLANFILE`) would deploy: `aws_cloudtrail`,
 * `aws_kms_key` (`policy`), `aws_kms_key_policy` and `aws_kms_alias`. A value known only after apply is followed
 * through the plan's `configuration` references (`kms_key_id = aws_kms_key.logs.arn` is that key's ARN, a stable
 * placeholder derived from its address) or, where it cannot be, written as unresolved. Account and Region come from
 * `data.aws_caller_identity` / `data.aws_region` and the provider's configuration, or the options.
 */
export function importTerraformPlan(file: { path: string; text: string; sha256: string }, options: TerraformPlanOptions): ImportedSnapshot {
  const problem = (message: string, pointer = ''): ImportedSnapshot => ({
    diagnostics: [{ code: 'template-input', file: file.path, ...locateInJson(file.text, pointer), message } as Diagnostic],
  });
  let plan: Plan;
  try {
    plan = JSON.parse(file.text) as Plan;
  } catch (error) {
    return problem(`a Terraform plan must be the JSON of terraform show -json: ${(error as Error).message}`);
  }
  if (plan === null || typeof plan !== 'object' || typeof plan.terraform_version !== 'string')
    return problem('a Terraform plan must be the JSON of terraform show -json PLANFILE (with terraform_version)');
  const planned = resourcesOf(plan.planned_values?.root_module, '/planned_values/root_module', plan);
  const prior = resourcesOf(plan.prior_state?.values?.root_module, '/prior_state/values/root_module', plan);
  const data = [...planned, ...prior].filter((r) => r.mode === 'data');
  const account = options.account ?? stringValue(data.find((r) => r.type === 'aws_caller_identity')?.values?.account_id);
  const region =
    options.region ??
    stringValue(plan.configuration?.provider_config?.aws?.expressions?.region?.constant_value) ??
    stringValue(data.find((r) => r.type === 'aws_region')?.values?.name ?? data.find((r) => r.type === 'aws_region')?.values?.region);
  if (account === undefined || !/^\d{12}$/.test(account))
    return problem('the plan does not say its account (no data.aws_caller_identity was read): give --account', '/planned_values');
  if (region === undefined)
    return problem(
      "the plan does not say its Region (no constant region in the aws provider's configuration): give --region",
      '/configuration',
    );
  const partition = partitionOf(region);
  const managed = planned.filter((r) => r.mode !== 'data');
  const byAddress = new Map(managed.map((r) => [r.address, r]));
  const placeholderKeyArn = (address: string) => {
    const hex = createHash('sha256').update(`${account}:${region}:${address}`).digest('hex');
    return `arn:${partition}:kms:${region}:${account}:key/${hex.slice(0, 8)}-${hex.slice(8, 12)}-4${hex.slice(13, 16)}-8${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
  };
  const keyArnOf = (key: Located): string => stringValue(key.values?.arn) ?? placeholderKeyArn(key.address);
  /** A value of a resource: as planned, or followed through its configuration's references when known after apply. */
  const attribute = (resource: Located, name: string): unknown => {
    const value = resource.values?.[name];
    if (value !== undefined && value !== null) return value;
    if (resource.unknown[name] !== true) return undefined;
    const references = referencesOf(plan, resource, name);
    // A value that is one reference (`kms_key_id = aws_kms_key.logs.arn`, listed with its resource) is that
    // value; one built from several is known only when the plan knows them all, which it then would have said.
    const attributes = references.filter(
      (r) => /^(data\.)?[a-z0-9_]+\.[^.]+\.[a-z_]+$/.test(r) || r.startsWith('var.') || r.startsWith('module.'),
    );
    if (attributes.length === 1) {
      const target = followReference(attributes[0] as string, resource.modulePrefix);
      if (target !== undefined) return target;
    }
    if (attributes.length > 1)
      return new Unresolved(
        `${resource.address}.${name}`,
        `known only after apply: it is built from ${attributes.join(', ')}; the policy rules judge it once it is deployed (collect the account then)`,
      );
    return new Unresolved(
      `${resource.address}.${name}`,
      "known only after apply, and the plan's configuration does not say what it comes from",
    );
  };
  function followReference(reference: string, prefix: string): unknown {
    const match = /^(data\.)?(aws_[a-z0-9_]+)\.([A-Za-z0-9_-]+(?:\[[^\]]+\])?)\.([a-z_]+)$/.exec(reference);
    if (match === null) return undefined;
    const [, isData, type, name, field] = match as unknown as [string, string | undefined, string, string, string];
    if (isData !== undefined) {
      // A data source read while planning (an aws_iam_policy_document's json) holds its value in the plan.
      const value = data.find((d) => d.address === `${prefix}data.${type}.${name}`)?.values?.[field];
      return value === null ? undefined : value;
    }
    const target = byAddress.get(`${prefix}${type}.${name}`);
    if (target === undefined) return undefined;
    if (type === 'aws_kms_key' && (field === 'arn' || field === 'id' || field === 'key_id'))
      return field === 'arn' ? keyArnOf(target) : keyArnOf(target).split('/').pop();
    const known = target.values?.[field];
    if (known !== undefined && known !== null) return known;
    if ((type === 'aws_s3_bucket' && (field === 'id' || field === 'bucket')) || field === 'name')
      return target.values?.bucket ?? target.values?.name;
    return undefined;
  }
  const builder = new SnapshotBuilder(account, partition, region, 'terraform-plan');
  builder.addFile(file.path, file.sha256);
  const locator = (pointer: string) => ({
    locate: (path: readonly (string | number)[]) => locateInJson(file.text, [pointer, ...path.map(String)].join('/')),
  });
  const aliases = new Map<string, string[]>();
  for (const alias of managed.filter((r) => r.type === 'aws_kms_alias')) {
    const name = attribute(alias, 'name');
    const target = attribute(alias, 'target_key_id');
    if (typeof name !== 'string' || typeof target !== 'string') continue;
    const key = managed.find((k) => k.type === 'aws_kms_key' && (keyArnOf(k) === target || keyArnOf(k).endsWith(`/${target}`)));
    const arn = key === undefined ? target : keyArnOf(key);
    aliases.set(arn, [...(aliases.get(arn) ?? []), name]);
  }
  const separatePolicies = managed.filter((r) => r.type === 'aws_kms_key_policy');
  for (const key of managed.filter((r) => r.type === 'aws_kms_key')) {
    const arn = keyArnOf(key);
    const own = separatePolicies.find((p) => {
      const target = attribute(p, 'key_id');
      return typeof target === 'string' && (target === arn || arn.endsWith(`/${target}`));
    });
    const policySource = own ?? key;
    let policy = attribute(policySource, 'policy');
    if (typeof policy === 'string') {
      try {
        policy = JSON.parse(policy);
      } catch {
        // Left as text: the snapshot loader reports it.
      }
    }
    // Without a policy, KMS gives the key its default one.
    if (policy === undefined) policy = defaultKeyPolicy(partition, account);
    const values = key.values ?? {};
    const enabled = values.is_enabled !== false;
    const entry: KeyEntry = {
      metadata: {
        KeyId: arn.split('/').pop(),
        Arn: arn,
        AWSAccountId: account,
        Enabled: enabled,
        KeyState: enabled ? 'Enabled' : 'Disabled',
        KeyManager: 'CUSTOMER',
        KeySpec: stringValue(values.customer_master_key_spec) ?? 'SYMMETRIC_DEFAULT',
        KeyUsage: stringValue(values.key_usage) ?? 'ENCRYPT_DECRYPT',
        Origin: 'AWS_KMS',
        MultiRegion: values.multi_region === true,
        ...(typeof values.description === 'string' ? { Description: values.description } : {}),
      },
      policy,
      error: null,
      aliases: aliases.get(arn) ?? [],
      rotationEnabled: values.enable_key_rotation === true,
      tags: Object.entries((values.tags ?? {}) as Record<string, unknown>).map(([TagKey, TagValue]) => ({
        TagKey,
        TagValue: String(TagValue),
      })),
    };
    const where = locator(key.pointer).locate([]);
    const policyPointer = `${policySource.pointer}/values/policy`;
    builder.addKey(
      arn,
      entry,
      { file: file.path, resource: key.address, ...where, policy: locateInJson(file.text, policyPointer) },
      locator(policyPointer),
      [],
    );
  }
  for (const trail of managed.filter((r) => r.type === 'aws_cloudtrail')) {
    const name = attribute(trail, 'name');
    if (typeof name !== 'string') continue;
    const values = trail.values ?? {};
    const record: Record<string, unknown> = {
      Name: name,
      TrailARN: stringValue(values.arn) ?? `arn:${partition}:cloudtrail:${region}:${account}:trail/${name}`,
      HomeRegion: region,
      S3BucketName: attribute(trail, 's3_bucket_name'),
      IncludeGlobalServiceEvents: values.include_global_service_events !== false,
      IsMultiRegionTrail: values.is_multi_region_trail === true,
      IsOrganizationTrail: values.is_organization_trail === true,
      LogFileValidationEnabled: values.enable_log_file_validation === true,
    };
    if (typeof values.s3_key_prefix === 'string') record.S3KeyPrefix = values.s3_key_prefix;
    let key = attribute(trail, 'kms_key_id');
    if (typeof key === 'string' && key !== '') {
      if (!key.startsWith('arn:'))
        key = key.startsWith('alias/')
          ? `arn:${partition}:kms:${region}:${account}:${key}`
          : `arn:${partition}:kms:${region}:${account}:key/${key}`;
      const aliasName = (key as string).includes(':alias/') ? (key as string).slice((key as string).indexOf(':alias/') + 1) : undefined;
      const byAlias = aliasName === undefined ? undefined : [...aliases].find(([, names]) => names.includes(aliasName))?.[0];
      record.KmsKeyId = byAlias ?? key;
    } else if (key instanceof Unresolved) record.KmsKeyId = key;
    const where = locator(trail.pointer).locate([]);
    builder.addTrail(record, { file: file.path, resource: trail.address, ...where }, locator(`${trail.pointer}/values`), []);
  }
  return { document: builder.document(), diagnostics: [] };
}

function stringValue(value: unknown): string | undefined {
  return typeof value === 'string' && value !== '' ? value : undefined;
}

/** Every resource of a module tree, with its JSON Pointer in the plan and what the plan marks known after apply. */
function resourcesOf(module: PlanModule | undefined, pointer: string, plan: Plan): Located[] {
  if (module === undefined) return [];
  const changes = new Map((plan.resource_changes ?? []).map((c) => [c.address, c.change?.after_unknown ?? {}]));
  const own = (module.resources ?? []).map((resource, i) => ({
    ...resource,
    pointer: `${pointer}/resources/${i}`,
    unknown: changes.get(resource.address) ?? {},
    modulePrefix: resource.address
      .slice(0, resource.address.length - `${resource.type}.${resource.name}`.length)
      .replace(/\[[^\]]*\]$/, ''),
  }));
  const children = (module.child_modules ?? []).flatMap((child, i) => resourcesOf(child, `${pointer}/child_modules/${i}`, plan));
  return [...own, ...children];
}

/** The references the configuration gives for a resource's attribute (`aws_kms_key.logs.arn`…), most specific first. */
function referencesOf(plan: Plan, resource: Located, attribute: string): string[] {
  let module = plan.configuration?.root_module;
  const calls = resource.modulePrefix.split('.').filter((part, i, all) => all[i - 1] === 'module' && part !== '');
  for (const call of calls) module = module?.module_calls?.[call.replace(/\[.*$/, '')]?.module;
  const address = resource.address.slice(resource.modulePrefix.length).replace(/\[[^\]]*\]$/, '');
  const expression = module?.resources?.find((r) => r.address === address)?.expressions?.[attribute];
  return [...(expression?.references ?? [])].sort((a, b) => b.split('.').length - a.split('.').length);
}
