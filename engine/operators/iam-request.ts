import type { OrganisationFact } from '../iam/context-catalogue.js';
import { asKeyFacts, callerKind, standardFor, uncatalogued } from '../iam/request-context.js';
import type { RequestSpec } from '../iam/request-spec.js';
import type { ContextValue, Policy, RequestPrincipal, UnknownKey } from '../iam/types.js';
import type { Scope, Template } from '../template/template.js';
import type { CompileContext } from './types.js';

const TEMPLATE = { type: 'string' };
const CONTEXT_VALUE = {
  anyOf: [{ type: 'string' }, { type: 'boolean' }, { type: 'number' }, { type: 'array', items: { type: 'string' } }],
};

/** The schema of a described request's parts besides its caller (shared by the policy operators). */
export const REQUEST_PROPERTIES = {
  action: TEMPLATE,
  resource: TEMPLATE,
  key: TEMPLATE,
  viaService: TEMPLATE,
  context: { type: 'object', additionalProperties: CONTEXT_VALUE },
  encryptionContext: { type: 'object', additionalProperties: TEMPLATE },
} as const;

/** A described request compiled once per assertion: its action, and the request spec for each caller on one resource. */
export interface CompiledRequest {
  readonly action: Template;
  /**
   * The requests of one resource against one policy: `specFor(caller)` is the request that caller makes, with the
   * catalogue's standard context and the keys nobody recorded (`tracing` also works out where each value came from).
   */
  forResource(
    scope: Scope,
    policy: Policy,
    organisation: (account: string) => OrganisationFact,
    tracing: boolean,
  ): (caller: RequestPrincipal) => RequestSpec;
}

/** Compiles the `request` options of a policy operator (all but `principal`). */
export function compileRequest(request: Readonly<Record<string, unknown>>, context: CompileContext): CompiledRequest {
  const action = context.template(String(request.action));
  const resource = context.template(String(request.resource));
  const key = request.key === undefined ? undefined : context.value(request.key);
  const viaService = request.viaService === undefined ? undefined : context.template(String(request.viaService));
  const requestContext = Object.entries((request.context ?? {}) as Record<string, unknown>).map(([k, v]) => [k, context.value(v)] as const);
  const encryptionContext = Object.entries((request.encryptionContext ?? {}) as Record<string, string>).map(
    ([k, v]) => [k, context.template(v)] as const,
  );
  // The keys the rule gives are known; a global key the policy reads that neither they nor the catalogue cover is
  // unknown (computed once per policy document).
  const givenKeys = new Set(requestContext.map(([key]) => key.toLowerCase()));
  const known = (k: string) => givenKeys.has(k) || k.startsWith('kms:encryptioncontext');
  const perPolicy = new WeakMap<Policy, readonly UnknownKey[]>();
  const uncataloguedIn = (policy: Policy) => {
    let found = perPolicy.get(policy);
    if (found === undefined) {
      found = uncatalogued(policy, known);
      perPolicy.set(policy, found);
    }
    return found;
  };
  // One list of unknown keys per policy and standard context, so checks alike can be told alike by it (CheckMemo).
  const combined = new WeakMap<Policy, WeakMap<readonly UnknownKey[], readonly UnknownKey[]>>();
  const unknownOf = (policy: Policy, standard: readonly UnknownKey[], extra: readonly UnknownKey[]) => {
    let byStandard = combined.get(policy);
    if (byStandard === undefined) {
      byStandard = new WeakMap();
      combined.set(policy, byStandard);
    }
    let list = byStandard.get(standard);
    if (list === undefined) {
      list = [...standard, ...extra];
      byStandard.set(standard, list);
    }
    return list;
  };
  return {
    action,
    forResource(scope, policy, organisation, tracing) {
      const via = viaService?.render(scope) || undefined;
      const keyFacts = key === undefined ? undefined : asKeyFacts(key(scope));
      const snapshot = scope.snapshot as { collectedAt?: unknown } | undefined;
      return (caller) => {
        // The templates of a request may read the caller it is built for ({{principal…}}): a scope of its own.
        const own = { ...scope, principal: caller };
        // Keys come from the rule file: fromEntries keeps a "__proto__" key as data.
        const given: Record<string, ContextValue> = Object.fromEntries(
          requestContext.map(([key, render]) => [key, contextValue(render(own))]),
        );
        const pairs: Record<string, string> = Object.fromEntries(encryptionContext.map(([key, template]) => [key, template.render(own)]));
        const actionName = action.render(own);
        const sourceAccount = Object.entries(given).find(([k]) => k.toLowerCase() === 'aws:sourceaccount')?.[1];
        const standard = standardFor(
          {
            caller: callerKind(caller, via),
            principal: caller,
            action: actionName,
            collectedAt: typeof snapshot?.collectedAt === 'string' ? snapshot.collectedAt : undefined,
            key: keyFacts,
            viaService: via,
            sourceAccount: typeof sourceAccount === 'string' ? sourceAccount : undefined,
            organisation,
          },
          givenKeys,
          tracing,
        );
        const extra = uncataloguedIn(policy);
        return {
          principal: caller,
          action: actionName,
          resource: resource.render(own),
          context: given,
          standard: standard.values,
          encryptionContext: pairs,
          unknown: extra.length === 0 ? standard.unknown : unknownOf(policy, standard.unknown, extra),
          ...(tracing ? { origins: standard.origins } : {}),
        };
      };
    },
  };
}

function contextValue(value: unknown): ContextValue {
  if (Array.isArray(value)) return value.map((v) => String(v));
  return value === undefined || value === null ? '' : String(value);
}
