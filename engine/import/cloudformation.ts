import { createHash } from 'node:crypto';
import type { Diagnostic } from '../core/errors.js';
import { defaultKeyPolicy } from '../core/policy-statements.js';
import { Unresolved, unresolvedMarker } from '../core/unresolved.js';
import type { KeyEntry } from '../snapshot/types.js';
import { conditionValue, containsUnresolved, type IntrinsicContext, NO_VALUE, resolveValue } from './intrinsics.js';
import { type ImportedSnapshot, SnapshotBuilder } from './snapshot-builder.js';
import { parseTemplate, type TemplateSource } from './template-source.js';

/** Where the templates are taken to be deployed, and the values of their parameters. */
export interface CloudFormationOptions {
  readonly account: string;
  readonly region: string;
  /** Parameter values by name (also export names, for `Fn::ImportValue`, and SSM dynamic references). */
  readonly parameters?: Readonly<Record<string, unknown>>;
  /** The stack name each template is deployed as (`AWS::StackName`); default: the file's name without extension. */
  readonly stackName?: string;
  /**
   * The template a nested stack's local `TemplateURL` names (a path relative to the parent template, as written
   * before `aws cloudformation package`), read by the caller; undefined when it is not a local file that exists.
   */
  readonly nested?: (parent: string, templateUrl: string) => TemplateFile | undefined;
}

/** How deep nested stacks are followed: CloudFormation itself allows five levels. */
const MAX_NESTING = 5;

/** A template file's text, read by the caller (which checks its size and encoding). */
export interface TemplateFile {
  readonly path: string;
  readonly text: string;
  readonly sha256: string;
}

/** The resource types a snapshot is built from; others are read only to resolve references to them. */
const TRAIL = 'AWS::CloudTrail::Trail';
const KEY = 'AWS::KMS::Key';
const REPLICA_KEY = 'AWS::KMS::ReplicaKey';
const ALIAS = 'AWS::KMS::Alias';

interface Resource {
  readonly Type: string;
  readonly Properties?: Record<string, unknown>;
  readonly Condition?: string;
}

interface Template {
  readonly file: TemplateFile;
  readonly source: TemplateSource;
  readonly resources: Readonly<Record<string, Resource>>;
  readonly context: IntrinsicContext;
  /** Nested stacks' templates, by the logical id of their `AWS::CloudFormation::Stack`. */
  readonly children: Map<string, Template>;
}

const STACK = 'AWS::CloudFormation::Stack';

/** The partition a Region belongs to. */
export function partitionOf(region: string): string {
  if (region.startsWith('cn-')) return 'aws-cn';
  if (region.startsWith('us-gov-')) return 'aws-us-gov';
  if (region.startsWith('us-iso-')) return 'aws-iso';
  if (region.startsWith('us-isob-')) return 'aws-iso-b';
  if (region.startsWith('eusc-')) return 'aws-eusc';
  return 'aws';
}

/**
 * A snapshot of what CloudFormation templates would deploy into one account and Region: their trails
 * (`AWS::CloudTrail::Trail`), keys (`AWS::KMS::Key`, `AWS::KMS::ReplicaKey`) and aliases. Intrinsic functions resolve
 * as CloudFormation would; a key's id is a stable placeholder derived from its logical id; what the templates cannot
 * settle is written as an unresolved marker and listed in the snapshot's `unresolved`. Exports of one template
 * resolve another's `Fn::ImportValue`.
 */
export function importCloudFormation(files: readonly TemplateFile[], options: CloudFormationOptions): ImportedSnapshot {
  const diagnostics: Diagnostic[] = [];
  const partition = partitionOf(options.region);
  const exports = new Map<string, unknown>();
  const templates: Template[] = [];
  for (const file of files) {
    const { source, diagnostics: found } = parseTemplate(file.path, file.text);
    diagnostics.push(...found);
    if (source === undefined) continue;
    const shape = templateShape(source);
    if (typeof shape === 'string') {
      diagnostics.push({ code: 'template-input', file: file.path, ...source.locate(['Resources']), message: shape });
      continue;
    }
    templates.push(makeTemplate(file, source, shape, options, partition, exports, 0, diagnostics));
  }
  if (diagnostics.length > 0) return { diagnostics };
  // An export may use another template's export: a few rounds settle chains of them.
  for (let round = 0; round < 3; round++) for (const template of templates) collectExports(template, exports);
  const builder = new SnapshotBuilder(options.account, partition, options.region, 'cloudformation');
  // A NoEcho parameter (a secret) is not written into the snapshot.
  const secret = new Set(
    templates.flatMap((t) =>
      Object.entries(((t.source.data as Record<string, unknown>).Parameters ?? {}) as Record<string, { NoEcho?: unknown }>)
        .filter(([, p]) => p?.NoEcho === true || p?.NoEcho === 'true')
        .map(([name]) => name),
    ),
  );
  builder.recordSettings(
    Object.fromEntries(
      Object.entries(options.parameters ?? {})
        .filter(([name]) => !secret.has(name))
        .map(([name, value]) => [name, String(value)]),
    ),
    options.stackName,
  );
  const roots: Record<string, string> = {};
  const add = (template: Template, root: string) => {
    builder.addFile(template.file.path, template.file.sha256);
    roots[template.file.path] = root;
    addTemplate(template, builder);
    for (const child of template.children.values()) add(child, root);
  };
  for (const template of templates) add(template, template.file.path);
  return { document: builder.document(), diagnostics: [], roots };
}

function templateShape(source: TemplateSource): { resources: Record<string, Resource>; data: Record<string, unknown> } | string {
  const data = source.data as Record<string, unknown> | null;
  if (data === null || typeof data !== 'object' || Array.isArray(data))
    return 'a CloudFormation template must be a mapping with a Resources section';
  const resources = data.Resources as Record<string, unknown> | undefined;
  if (resources === null || typeof resources !== 'object' || Array.isArray(resources))
    return `a CloudFormation template must have a Resources mapping, found ${resources === undefined ? 'none' : JSON.stringify(resources)}`;
  for (const [id, resource] of Object.entries(resources)) {
    if (resource === null || typeof resource !== 'object' || typeof (resource as Resource).Type !== 'string')
      return `resource ${id} must be a mapping with a Type`;
  }
  return { resources: resources as Record<string, Resource>, data };
}

function makeTemplate(
  file: TemplateFile,
  source: TemplateSource,
  shape: { resources: Record<string, Resource>; data: Record<string, unknown> },
  options: CloudFormationOptions,
  partition: string,
  exports: ReadonlyMap<string, unknown>,
  depth: number,
  diagnostics: Diagnostic[],
): Template {
  const { resources, data } = shape;
  const children = new Map<string, Template>();
  const declared = (data.Parameters ?? {}) as Record<string, { Type?: string; Default?: unknown }>;
  const given = options.parameters ?? {};
  const stackName = options.stackName ?? stem(file.path);
  const { account, region } = options;
  const context: IntrinsicContext = {
    account,
    region,
    partition,
    stackName,
    parameter(name) {
      const declaration = declared[name];
      if (declaration === undefined) return undefined;
      const type = String(declaration.Type ?? 'String');
      const value = Object.hasOwn(given, name) ? given[name] : declaration.Default;
      if (value === undefined)
        return new Unresolved(
          `Ref ${name}`,
          type.startsWith('AWS::SSM::Parameter::Value')
            ? `parameter ${name} is read from SSM Parameter Store at deployment: give its value with --parameters ${name}=VALUE`
            : `parameter ${name} has no Default: give its value with --parameters ${name}=VALUE`,
        );
      if (type.startsWith('AWS::SSM::Parameter::Value') && !Object.hasOwn(given, name))
        return new Unresolved(
          `Ref ${name}`,
          `parameter ${name} names SSM parameter ${String(value)}, read at deployment: give its value with --parameters ${name}=VALUE`,
        );
      if (/^(CommaDelimitedList|List<)/.test(type) && typeof value === 'string') return value.split(',').map((v) => v.trim());
      return typeof value === 'number' || typeof value === 'boolean' ? String(value) : value;
    },
    ref: (id) => physical(id, undefined),
    getAtt: (id, attribute) => physical(id, attribute),
    mappings: (data.Mappings ?? {}) as Record<string, unknown>,
    conditions: (data.Conditions ?? {}) as Record<string, unknown>,
    exported: (name) => (Object.hasOwn(given, name) ? given[name] : exports.get(name)),
  };
  const keyIds = new Map<string, string>();
  /** The physical id (`Ref`) or an attribute of a resource, as CloudFormation would report it. */
  function physical(id: string, attribute: string | undefined): unknown {
    const resource = resources[id];
    if (resource === undefined) return undefined;
    const properties = resource.Properties ?? {};
    const named = (property: string, fallback: string) => {
      const name = property in properties ? resolveValue(properties[property], context) : undefined;
      return name === undefined || name === NO_VALUE ? fallback : name;
    };
    switch (resource.Type) {
      case KEY:
      case REPLICA_KEY: {
        const keyId = keyIdFor(id);
        if (keyId instanceof Unresolved) return keyId;
        const arn = `arn:${partition}:kms:${region}:${account}:key/${keyId}`;
        if (attribute === undefined || attribute === 'KeyId') return keyId;
        if (attribute === 'Arn') return arn;
        break;
      }
      case ALIAS:
        if (attribute === undefined) return named('AliasName', `alias/${id}`);
        break;
      case TRAIL: {
        const name = named('TrailName', generatedName(stackName, id));
        if (attribute === undefined) return name;
        if (attribute === 'Arn')
          return name instanceof Unresolved ? name : `arn:${partition}:cloudtrail:${region}:${account}:trail/${String(name)}`;
        break;
      }
      case 'AWS::IAM::Role':
      case 'AWS::IAM::User': {
        const kind = resource.Type === 'AWS::IAM::Role' ? 'role' : 'user';
        const name = named(kind === 'role' ? 'RoleName' : 'UserName', generatedName(stackName, id));
        const path = named('Path', '/');
        if (attribute === undefined) return name;
        if (attribute === 'Arn')
          return name instanceof Unresolved
            ? name
            : path instanceof Unresolved
              ? path
              : `arn:${partition}:iam::${account}:${kind}${String(path)}${String(name)}`;
        break;
      }
      case 'AWS::S3::Bucket': {
        const name = named('BucketName', generatedName(stackName, id).toLowerCase());
        if (attribute === undefined) return name;
        if (attribute === 'Arn') return name instanceof Unresolved ? name : `arn:${partition}:s3:::${String(name)}`;
        break;
      }
      case STACK: {
        const child = children.get(id);
        const output = attribute?.startsWith('Outputs.') ? attribute.slice('Outputs.'.length) : undefined;
        if (child !== undefined && output !== undefined) {
          const declared = ((child.source.data as Record<string, unknown>).Outputs ?? {}) as Record<string, { Value?: unknown }>;
          if (declared[output] !== undefined) return resolveValue(declared[output].Value, child.context);
        }
        break;
      }
      case 'AWS::SNS::Topic': {
        const name = named('TopicName', generatedName(stackName, id));
        const arn = name instanceof Unresolved ? name : `arn:${partition}:sns:${region}:${account}:${String(name)}`;
        if (attribute === undefined || attribute === 'TopicArn') return arn;
        if (attribute === 'TopicName') return name;
        break;
      }
    }
    return new Unresolved(
      `${attribute === undefined ? 'Ref' : 'Fn::GetAtt'} ${id}${attribute === undefined ? '' : `.${attribute}`}`,
      `a value CloudFormation assigns to ${id} (${resource.Type}) at deployment`,
    );
  }
  /** A stable placeholder key id: the same template, account and logical id always give the same one. */
  function keyIdFor(id: string): string | Unresolved {
    const known = keyIds.get(id);
    if (known !== undefined) return known;
    const resource = resources[id] as Resource;
    if (resource.Type === REPLICA_KEY) {
      // A replica has its primary key's id.
      const primary = resolveValue(resource.Properties?.PrimaryKeyArn, context);
      if (primary instanceof Unresolved) return primary;
      const keyId = String(primary).split('/').pop() ?? '';
      keyIds.set(id, keyId);
      return keyId;
    }
    const hex = createHash('sha256').update(`${account}:${region}:${stackName}:${id}`).digest('hex');
    const multiRegion = resolveValue(resource.Properties?.MultiRegion, context);
    const keyId =
      multiRegion === true || multiRegion === 'true'
        ? `mrk-${hex.slice(0, 32)}`
        : `${hex.slice(0, 8)}-${hex.slice(8, 12)}-4${hex.slice(13, 16)}-8${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
    keyIds.set(id, keyId);
    return keyId;
  }
  const template: Template = { file, source, resources, context, children };
  // Nested stacks whose template is a local file are imported with the parameters this template passes them.
  for (const [id, resource] of Object.entries(resources)) {
    if (resource.Type !== STACK || options.nested === undefined) continue;
    const url = resource.Properties?.TemplateURL;
    if (typeof url !== 'string') continue;
    const nestedFile = options.nested(file.path, url);
    if (nestedFile === undefined) continue;
    if (depth >= MAX_NESTING) {
      diagnostics.push({
        code: 'template-input',
        file: file.path,
        ...source.locate(['Resources', id]),
        message: `nested stacks go more than ${MAX_NESTING} levels deep`,
      });
      continue;
    }
    const parsed = parseTemplate(nestedFile.path, nestedFile.text);
    diagnostics.push(...parsed.diagnostics);
    if (parsed.source === undefined) continue;
    const nestedShape = templateShape(parsed.source);
    if (typeof nestedShape === 'string') {
      diagnostics.push({ code: 'template-input', file: nestedFile.path, ...parsed.source.locate(['Resources']), message: nestedShape });
      continue;
    }
    const passed = resolveValue(resource.Properties?.Parameters ?? {}, context) as Record<string, unknown>;
    const nestedOptions: CloudFormationOptions = { ...options, parameters: passed, stackName: `${stackName}-${id}` };
    children.set(id, makeTemplate(nestedFile, parsed.source, nestedShape, nestedOptions, partition, exports, depth + 1, diagnostics));
  }
  return template;
}

function generatedName(stackName: string, logicalId: string): string {
  return `${stackName}-${logicalId}`;
}

function stem(path: string): string {
  const base = path.split(/[\\/]/).pop() ?? path;
  return base.replace(/\.(ya?ml|json|template)$/i, '') || 'stack';
}

function collectExports(template: Template, exports: Map<string, unknown>): void {
  const outputs = ((template.source.data as Record<string, unknown>).Outputs ?? {}) as Record<
    string,
    { Value?: unknown; Export?: { Name?: unknown } }
  >;
  for (const output of Object.values(outputs)) {
    if (output?.Export?.Name === undefined) continue;
    const name = resolveValue(output.Export.Name, template.context);
    if (typeof name !== 'string' || exports.has(name)) continue;
    const value = resolveValue(output.Value, template.context);
    if (!(containsUnresolved(value) instanceof Unresolved)) exports.set(name, value);
  }
}

function addTemplate(template: Template, builder: SnapshotBuilder): void {
  const { resources, context, source, file } = template;
  const { account, region, partition } = context;
  const aliases = new Map<string, string[]>();
  // Resources whose Condition is false are not created.
  const created = Object.entries(resources).filter(([, r]) => r.Condition === undefined || conditionValue(r.Condition, context) !== false);
  for (const [, resource] of created) {
    if (resource.Type !== ALIAS) continue;
    const name = resolveValue(resource.Properties?.AliasName, context);
    const target = resolveValue(resource.Properties?.TargetKeyId, context);
    if (typeof name !== 'string' || typeof target !== 'string') continue;
    const keyArn = target.startsWith('arn:') ? target : `arn:${partition}:kms:${region}:${account}:key/${target}`;
    aliases.set(keyArn, [...(aliases.get(keyArn) ?? []), name]);
  }
  for (const [id, resource] of created) {
    const at = (...path: (string | number)[]) => source.locate(['Resources', id, ...path]);
    const where = { file: file.path, resource: id, ...at() };
    if (resource.Type === KEY || resource.Type === REPLICA_KEY) {
      const arn = context.getAtt(id, 'Arn');
      if (typeof arn !== 'string') continue;
      const entry = keyEntry(resource, arn, context, aliases.get(arn) ?? []);
      const policyPath = ['Resources', id, 'Properties', 'KeyPolicy'];
      const statements = statementPositions(resource, context, (...path) => source.locate([...policyPath, ...path]));
      builder.addKey(
        arn,
        entry,
        {
          ...where,
          // A key without a KeyPolicy (KMS gives it the default policy) has no policy position: findings point at the key.
          ...(resource.Properties?.KeyPolicy === undefined ? {} : { policy: source.locate(policyPath) }),
          ...(statements === undefined ? {} : { statements }),
        },
        source,
        policyPath,
      );
    }
    if (resource.Type === TRAIL) {
      const trail = trailRecord(id, resource, context, aliases);
      if (trail === undefined) continue;
      builder.addTrail(trail, where, source, ['Resources', id, 'Properties']);
    }
  }
}

function keyEntry(resource: Resource, arn: string, context: IntrinsicContext, aliases: readonly string[]): KeyEntry {
  const properties = resolveValue(resource.Properties ?? {}, context) as Record<string, unknown>;
  const enabled = properties.Enabled !== false && properties.Enabled !== 'false';
  const keyId = arn.split('/').pop() as string;
  let policy = properties.KeyPolicy;
  if (policy === undefined && resource.Type === KEY) policy = defaultKeyPolicy(context.partition, context.account);
  if (typeof policy === 'string' && !(containsUnresolved(policy) instanceof Unresolved)) {
    try {
      policy = JSON.parse(policy);
    } catch {
      // Left as text: the snapshot loader reports it at the key's policy.
    }
  }
  const tags = Array.isArray(properties.Tags)
    ? (properties.Tags as { Key?: unknown; Value?: unknown }[]).flatMap((t) =>
        typeof t?.Key === 'string' && typeof t.Value === 'string' ? [{ TagKey: t.Key, TagValue: t.Value }] : [],
      )
    : [];
  const multiRegion = resource.Type === REPLICA_KEY || properties.MultiRegion === true || properties.MultiRegion === 'true';
  const metadata: Record<string, unknown> = {
    KeyId: keyId,
    Arn: arn,
    AWSAccountId: context.account,
    Enabled: enabled,
    KeyState: enabled ? 'Enabled' : 'Disabled',
    KeyManager: 'CUSTOMER',
    KeySpec: typeof properties.KeySpec === 'string' ? properties.KeySpec : 'SYMMETRIC_DEFAULT',
    KeyUsage: typeof properties.KeyUsage === 'string' ? properties.KeyUsage : 'ENCRYPT_DECRYPT',
    Origin: typeof properties.Origin === 'string' ? properties.Origin : 'AWS_KMS',
    MultiRegion: multiRegion,
    ...(multiRegion ? { MultiRegionConfiguration: { MultiRegionKeyType: resource.Type === REPLICA_KEY ? 'REPLICA' : 'PRIMARY' } } : {}),
    ...(typeof properties.Description === 'string' ? { Description: properties.Description } : {}),
  };
  return {
    metadata,
    policy: policy === undefined ? null : policy,
    error: null,
    aliases: [...aliases],
    rotationEnabled: properties.EnableKeyRotation === true || properties.EnableKeyRotation === 'true',
    tags,
  };
}

/**
 * Where the template writes each statement of the resolved policy: the items of its Statement list that resolve to
 * a statement (an `!If` choosing `AWS::NoValue` writes none). Undefined when the list is not written item by item.
 */
function statementPositions(
  resource: Resource,
  context: IntrinsicContext,
  locate: (...path: (string | number)[]) => { line: number; column: number },
): { line: number; column: number }[] | undefined {
  const policy = resource.Properties?.KeyPolicy;
  const items =
    policy !== null && typeof policy === 'object' && !Array.isArray(policy) ? (policy as Record<string, unknown>).Statement : undefined;
  if (!Array.isArray(items)) return undefined;
  return items.flatMap((item, i) => (resolveValue(item, context) === NO_VALUE ? [] : [locate('Statement', i)]));
}

/** A trail as DescribeTrails would return it once deployed; its key reference becomes the key's ARN where it can. */
function trailRecord(
  id: string,
  resource: Resource,
  context: IntrinsicContext,
  aliases: ReadonlyMap<string, string[]>,
): Record<string, unknown> | undefined {
  const properties = resolveValue(resource.Properties ?? {}, context) as Record<string, unknown>;
  const { partition, region, account } = context;
  // A trail whose name the template does not settle is kept, named by its marker, so that it is not silently left
  // out: its policy verdicts are unknown (CloudTrail's requests carry the trail's ARN).
  const name = context.ref(id);
  const arn =
    name instanceof Unresolved
      ? `arn:${partition}:cloudtrail:${region}:${account}:trail/${unresolvedMarker(name)}`
      : context.getAtt(id, 'Arn');
  if ((typeof name !== 'string' && !(name instanceof Unresolved)) || typeof arn !== 'string') return undefined;
  const trail: Record<string, unknown> = {
    Name: name,
    TrailARN: arn,
    HomeRegion: region,
    S3BucketName: properties.S3BucketName,
    IncludeGlobalServiceEvents: properties.IncludeGlobalServiceEvents !== false && properties.IncludeGlobalServiceEvents !== 'false',
    IsMultiRegionTrail: properties.IsMultiRegionTrail === true || properties.IsMultiRegionTrail === 'true',
    IsOrganizationTrail: properties.IsOrganizationTrail === true || properties.IsOrganizationTrail === 'true',
    LogFileValidationEnabled: properties.EnableLogFileValidation === true || properties.EnableLogFileValidation === 'true',
    HasCustomEventSelectors: properties.EventSelectors !== undefined,
    HasInsightSelectors: properties.InsightSelectors !== undefined,
  };
  for (const [from, to] of [
    ['S3KeyPrefix', 'S3KeyPrefix'],
    ['SnsTopicName', 'SnsTopicName'],
    ['CloudWatchLogsLogGroupArn', 'CloudWatchLogsLogGroupArn'],
    ['CloudWatchLogsRoleArn', 'CloudWatchLogsRoleArn'],
  ] as const) {
    if (properties[from] !== undefined) trail[to] = properties[from];
  }
  const key = properties.KMSKeyId;
  if (key !== undefined && key !== '') {
    if (typeof key !== 'string') trail.KmsKeyId = key;
    else if (key.startsWith('arn:') && !key.includes(':alias/')) trail.KmsKeyId = key;
    else {
      // CloudTrail records the key's ARN whatever form the template gives: a key id or an alias of this account.
      const aliasName = key.startsWith('arn:') ? key.slice(key.indexOf(':alias/') + 1) : key;
      const byAlias = [...aliases].find(([, names]) => names.includes(aliasName))?.[0];
      trail.KmsKeyId =
        byAlias ??
        (key.startsWith('arn:')
          ? key
          : key.startsWith('alias/')
            ? `arn:${partition}:kms:${region}:${account}:${key}`
            : `arn:${partition}:kms:${region}:${account}:key/${key}`);
    }
  }
  return trail;
}
