import { workerData } from 'node:worker_threads';
import { TrailguardError } from '../core/errors.js';
import type { Finding } from '../core/model.js';
import { loadRulePacks } from '../rules/load-rules.js';
import { SnapshotSet } from '../snapshot/snapshot-set.js';
import type { LoadedSnapshot, SnapshotDocument } from '../snapshot/types.js';
import { evaluateGroup, newRun, type Resource, ruleGroups } from './evaluate-rule.js';
import type { ChunkResult, ChunkTask, SlimSnapshot, WorkerSetup } from './parallel.js';

/**
 * A `check --jobs` worker (see parallel.ts): loads the rule packs, rebuilds the snapshot set from the snapshots
 * without their resource lists, then evaluates the chunks it is sent, in order, answering each.
 */

/** Thrown when a rule reads a list the worker was not given: the main thread evaluates the chunk instead. */
class RemovedList extends Error {}

const setup = workerData as WorkerSetup;
const counters = new Int32Array(setup.signal);

function answer(result: ChunkResult): void {
  setup.port.postMessage(result);
  Atomics.add(counters, setup.slot, 1);
  Atomics.notify(counters, setup.slot);
}

function snapshotOf(slim: SlimSnapshot): LoadedSnapshot {
  const document: Record<string, unknown> = {};
  const removed = new Set(slim.removed);
  for (const name of slim.order) {
    if (removed.has(name)) {
      Object.defineProperty(document, name, {
        enumerable: true,
        get() {
          throw new RemovedList(`the rule reads snapshot.${name}, which --jobs workers do not hold`);
        },
      });
    } else document[name] = (slim.document as Record<string, unknown>)[name];
  }
  return { path: slim.path, sha256: slim.sha256, document: document as unknown as SnapshotDocument };
}

function stoppedByRemovedList(error: unknown): string | undefined {
  for (let e = error; e instanceof Error; e = e.cause) if (e instanceof RemovedList) return e.message;
  return undefined;
}

const ready = (async () => {
  const packs = await loadRulePacks(setup.rules.packs, { params: setup.rules.params, allowOutsidePack: setup.rules.allowOutsidePack });
  const rules = packs.flatMap((p) => p.rules);
  const ids = rules.map((r) => r.info.id);
  if (ids.join('\n') !== setup.ruleIds.join('\n'))
    throw new Error(
      `the rule packs changed while the check ran: the worker loaded ${ids.join(', ')}, the check ${setup.ruleIds.join(', ')}`,
    );
  const snapshots = setup.snapshots.map(snapshotOf);
  return { groups: ruleGroups(rules), snapshots, run: newRun(new SnapshotSet(snapshots)) };
})();

/** The ids of documents this worker has sent: each is sent once. */
const sent = new Set<string>();

setup.port.on('message', (task: ChunkTask) => {
  ready.then(
    ({ groups, snapshots, run }) => {
      try {
        const resources: Resource[] = task.resources.map((r) => ({
          ref: r.ref,
          value: r.value,
          snapshot: snapshots[r.snapshot] as LoadedSnapshot,
          ...(r.conflict === undefined ? {} : { conflict: r.conflict }),
        }));
        const documents = new Map<string, unknown>();
        const findings: Finding[] = [...evaluateGroup(groups[task.group] ?? [], resources, { ...run, documents })];
        const documentValues: Record<string, unknown> = {};
        for (const [id, value] of documents) {
          if (sent.has(id)) continue;
          sent.add(id);
          documentValues[id] = value;
        }
        answer({ chunk: task.chunk, findings, documentIds: [...documents.keys()], documentValues });
      } catch (error) {
        const removed = stoppedByRemovedList(error);
        if (removed !== undefined) answer({ chunk: task.chunk, fallback: removed });
        else fail(task.chunk, error);
      }
    },
    (error: unknown) => fail(task.chunk, error),
  );
});

function fail(chunk: number, error: unknown): void {
  const e = error instanceof Error ? error : new Error(String(error));
  answer({
    chunk,
    error: {
      message: e.message,
      ...(e.stack === undefined ? {} : { stack: e.stack }),
      ...(error instanceof TrailguardError ? { diagnostics: error.diagnostics } : {}),
    },
  });
}
