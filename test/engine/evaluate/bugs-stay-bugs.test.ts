import { describe, expect, it } from 'vitest';
import { DataError, InternalError } from '../../../engine/core/errors.js';
import { evaluateRules } from '../../../engine/evaluate/evaluate-rule.js';
import type { CompiledRule } from '../../../engine/rules/compiled-rule.js';
import { SnapshotSet } from '../../../engine/snapshot/snapshot-set.js';
import { builtInPack, snapshot, TRAIL_ARN, trail } from '../../helpers/engine.js';

/** The built-in SSE-KMS rule with a binding that throws, as a bug (or a known data problem) in a binding would. */
async function ruleThatThrows(error: Error): Promise<CompiledRule> {
  const rule = (await builtInPack()).flatMap((p) => p.rules).find((r) => r.info.id === 'cloudtrail-sse-kms') as CompiledRule;
  const binding = {
    name: 'boom',
    signature: `boom ${error.name}`,
    isLookup: false,
    evaluate: () => {
      throw error;
    },
  };
  return { ...rule, bindings: [...rule.bindings, binding] };
}

const set = () => new SnapshotSet([snapshot({ trails: [trail()] as never })]);

describe('only known data problems become error findings', () => {
  it('a TypeError inside a rule is an internal error naming the rule and the resource, not a finding', async () => {
    const rule = await ruleThatThrows(new TypeError("Cannot read properties of undefined (reading 'x')"));
    expect(() => [...evaluateRules([rule], set())]).toThrow(InternalError);
    expect(() => [...evaluateRules([rule], set())]).toThrow(
      `evaluating rule cloudtrail-sse-kms on ${TRAIL_ARN}: Cannot read properties of undefined (reading 'x')`,
    );
  });

  it('the twin: a DataError is an error finding that says why, and the run goes on', async () => {
    const rule = await ruleThatThrows(new DataError('the document is nested too deeply to search'));
    const [finding] = [...evaluateRules([rule], set())];
    expect(finding?.status).toBe('error');
    expect(finding?.message).toContain('the document is nested too deeply to search');
  });

  it('running out of stack on deep data is a known data problem too', async () => {
    const rule = await ruleThatThrows(new RangeError('Maximum call stack size exceeded'));
    const [finding] = [...evaluateRules([rule], set())];
    expect(finding?.status).toBe('error');
    expect(finding?.message).toContain('nested too deeply to search');
  });
});
