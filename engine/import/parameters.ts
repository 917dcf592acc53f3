import { TrailguardError } from '../core/errors.js';
import { readTextFile } from '../input/read-input.js';
import { parseYaml } from '../input/yaml-source.js';

/**
 * Template parameter values from `--parameters`: a file in any of the shapes people keep them in (the AWS CLI's
 * `[{ "ParameterKey", "ParameterValue" }]`, a CodePipeline configuration `{ "Parameters": { … } }`, or a plain
 * mapping, JSON or YAML), or `NAME=VALUE` pairs. Values are strings, as CloudFormation passes them.
 */
export async function loadParameters(specs: readonly string[]): Promise<Record<string, string>> {
  const values: Record<string, string> = {};
  for (const spec of specs) {
    const pair = /^([A-Za-z0-9:_./-]+)=(.*)$/s.exec(spec);
    if (pair !== null && !/\.(json|ya?ml)$/i.test(spec)) {
      values[pair[1] as string] = pair[2] as string;
      continue;
    }
    Object.assign(values, await parameterFile(spec));
  }
  return values;
}

async function parameterFile(file: string): Promise<Record<string, string>> {
  const { text } = await readTextFile(file, 'params file');
  const { source, diagnostics } = parseYaml(file, text);
  if (source === undefined) throw new TrailguardError(diagnostics);
  const data = source.data;
  const out: Record<string, string> = {};
  if (Array.isArray(data)) {
    for (const [i, item] of data.entries()) {
      const entry = item as { ParameterKey?: unknown; ParameterValue?: unknown } | null;
      if (typeof entry?.ParameterKey !== 'string' || entry.ParameterValue === undefined)
        throw new TrailguardError(
          source.problem(
            'usage',
            `/${i}`,
            'a parameters list holds {"ParameterKey": NAME, "ParameterValue": VALUE} items, as the AWS CLI writes them',
          ),
        );
      out[entry.ParameterKey] = String(entry.ParameterValue);
    }
    return out;
  }
  if (data === null || typeof data !== 'object')
    throw new TrailguardError(
      source.problem(
        'usage',
        '',
        'a parameters file holds a mapping of NAME: VALUE, or the AWS CLI\'s [{"ParameterKey", "ParameterValue"}] list',
      ),
    );
  const record = data as Record<string, unknown>;
  const mapping =
    record.Parameters !== null && typeof record.Parameters === 'object' && !Array.isArray(record.Parameters)
      ? (record.Parameters as Record<string, unknown>)
      : record;
  for (const [name, value] of Object.entries(mapping)) {
    if (value !== null && typeof value === 'object')
      throw new TrailguardError(source.problem('usage', `/${name}`, `parameter ${name} must be a string, number or boolean value`));
    out[name] = Array.isArray(value) ? value.join(',') : String(value);
  }
  return out;
}
