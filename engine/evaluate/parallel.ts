import { MessageChannel, type MessagePort, receiveMessageOnPort, Worker } from 'node:worker_threads';
import { InternalError, TrailguardError } from '../core/errors.js';
import type { Finding } from '../core/model.js';
import type { CompiledRule } from '../rules/compiled-rule.js';
import type { SnapshotSet } from '../snapshot/snapshot-set.js';
import type { LoadedSnapshot, SnapshotDocument } from '../snapshot/types.js';
import { type Documents, evaluateGroup, newRun, type Resource, ruleGroups, selectResources } from './evaluate-rule.js';

/**
 * `check --jobs N`: the resources are cut into chunks of consecutive resources, evaluated by N worker threads in
 * turn, and their findings taken back in order, so the results are the same bytes as with one thread.
 *
 * A worker never holds a parsed copy of a whole snapshot: it gets each snapshot without the lists resources are
 * selected from (`trails`), and each chunk brings its own resources. What lookups read (keys, organisations) is
 * there, so rules evaluate as on the main thread. A rule that reads a removed list itself (`snapshot.trails`) stops
 * the chunk, which the main thread then evaluates with the whole snapshot: slower, never different.
 *
 * Each worker loads the rule packs itself (compiled rules are code, and cannot be sent) and checks that it loaded
 * the same rules. Findings come back by structured clone; waivers, the summary and the formatters run on the main
 * thread over the findings in order, as with one thread.
 */

/** How the workers load the run's rule packs: as `check` did. */
export interface WorkerRules {
  readonly packs: readonly string[];
  readonly params?: string | undefined;
  readonly allowOutsidePack: boolean;
}

/** What a worker is started with. */
export interface WorkerSetup {
  readonly rules: WorkerRules;
  /** The rule ids the main thread loaded, in order: the worker must load the same. */
  readonly ruleIds: readonly string[];
  readonly snapshots: readonly SlimSnapshot[];
  readonly signal: SharedArrayBuffer;
  readonly slot: number;
  readonly port: MessagePort;
}

/** A snapshot without the lists resources are selected from; `order` keeps the document's property order. */
export interface SlimSnapshot {
  readonly path: string;
  readonly sha256: string;
  readonly document: Partial<SnapshotDocument>;
  readonly removed: readonly string[];
  readonly order: readonly string[];
}

/** One chunk of consecutive resources of one rule group. */
export interface ChunkTask {
  readonly chunk: number;
  readonly group: number;
  /** The position of the chunk's first resource in its group's resources. */
  readonly start: number;
  readonly resources: readonly { ref: Resource['ref']; value: unknown; snapshot: number; conflict?: string }[];
}

/** A worker's answer for a chunk. */
export type ChunkResult =
  | {
      readonly chunk: number;
      readonly findings: readonly Finding[];
      /** The documents the chunk's findings refer to, in the order first used. */
      readonly documentIds: readonly string[];
      /** The documents this worker had not sent before. */
      readonly documentValues: Readonly<Record<string, unknown>>;
    }
  | { readonly chunk: number; readonly fallback: string }
  | { readonly chunk: number; readonly error: { readonly message: string; readonly stack?: string; readonly diagnostics?: unknown } };

/** Resources per chunk: large enough that messages are few, small enough that a worker's share stays even. */
export const CHUNK = 500;
/** Chunks sent to a worker ahead of the one the main thread waits for. */
const AHEAD = 2;
/** Properties a worker always keeps: the snapshot set is built from them. */
const KEPT = new Set(['schemaVersion', 'account', 'keys', 'organization', 'collectedAt', 'collector', 'regions', 'errors']);

/**
 * The findings of `rules` on `set`, evaluated by `jobs` worker threads, in the order `evaluateRules` gives them;
 * `documents` is filled in the same order too.
 */
export function* evaluateInWorkers(
  rules: readonly CompiledRule[],
  set: SnapshotSet,
  documents: Documents,
  jobs: number,
  packs: WorkerRules,
): Generator<Finding> {
  const groups = ruleGroups(rules);
  const tasks: ChunkTask[] = [];
  const removed = new Set<string>();
  const snapshotIndex = new Map(set.snapshots.map((s, i) => [s, i]));
  const chosen: Resource[][] = [];
  for (const [g, group] of groups.entries()) {
    const name = /^\$\.([A-Za-z_$][\w$]*)(\[\*\]|\.\*)$/.exec((group[0] as CompiledRule).resources.path.source)?.[1];
    if (name !== undefined && !KEPT.has(name)) removed.add(name);
    const resources = selectResources(group[0] as CompiledRule, set);
    chosen.push(resources);
    for (let start = 0; start < resources.length; start += CHUNK) {
      tasks.push({
        chunk: tasks.length,
        group: g,
        start,
        resources: resources.slice(start, start + CHUNK).map((r) => ({
          ref: r.ref,
          value: r.value,
          snapshot: snapshotIndex.get(r.snapshot) as number,
          ...(r.conflict === undefined ? {} : { conflict: r.conflict }),
        })),
      });
    }
  }
  const count = Math.min(jobs, tasks.length);
  if (count <= 1) {
    const run = newRun(set, documents);
    for (const [g, group] of groups.entries()) yield* evaluateGroup(group, chosen[g] as Resource[], run);
    return;
  }
  const slim = set.snapshots.map((s) => slimSnapshot(s, removed));
  const signal = new SharedArrayBuffer(4 * count);
  const counters = new Int32Array(signal);
  const workers: { worker: Worker; port: MessagePort }[] = [];
  // The main thread's own run, for chunks a worker could not evaluate without the whole snapshot.
  let own: ReturnType<typeof newRun> | undefined;
  try {
    for (let slot = 0; slot < count; slot++) {
      const channel = new MessageChannel();
      const setup: WorkerSetup = { rules: packs, ruleIds: rules.map((r) => r.info.id), snapshots: slim, signal, slot, port: channel.port2 };
      const worker = new Worker(new URL('./evaluate-worker.js', import.meta.url), { workerData: setup, transferList: [channel.port2] });
      worker.unref();
      workers.push({ worker, port: channel.port1 });
    }
    let sent = 0;
    const send = (upTo: number) => {
      for (; sent < Math.min(upTo, tasks.length); sent++) (workers[sent % count] as (typeof workers)[number]).port.postMessage(tasks[sent]);
    };
    send(count * AHEAD);
    for (const task of tasks) {
      const slot = task.chunk % count;
      const result = receive((workers[slot] as (typeof workers)[number]).port, counters, slot);
      send(task.chunk + 1 + count * AHEAD);
      if (result.chunk !== task.chunk) throw new InternalError(`worker ${slot} answered chunk ${result.chunk} when ${task.chunk} was due`);
      if ('error' in result) throw rebuilt(result.error);
      if ('fallback' in result) {
        own ??= newRun(set, documents);
        const group = groups[task.group] as CompiledRule[];
        yield* evaluateGroup(group, (chosen[task.group] as Resource[]).slice(task.start, task.start + task.resources.length), own);
        continue;
      }
      for (const id of result.documentIds) {
        if (documents.has(id)) continue;
        if (!Object.hasOwn(result.documentValues, id)) throw new InternalError(`worker ${slot} named document ${id} without sending it`);
        documents.set(id, result.documentValues[id]);
      }
      yield* result.findings;
    }
  } finally {
    for (const { worker, port } of workers) {
      port.close();
      void worker.terminate();
    }
  }
}

/**
 * Waits for the worker in `slot` to answer. Blocking, because the formatters read findings synchronously: the worker
 * posts its answer, then counts it in its slot, so either the answer is already there or the count moves on.
 */
function receive(port: MessagePort, counters: Int32Array, slot: number): ChunkResult {
  for (;;) {
    const count = Atomics.load(counters, slot);
    const message = receiveMessageOnPort(port);
    if (message !== undefined) return message.message as ChunkResult;
    Atomics.wait(counters, slot, count);
  }
}

function slimSnapshot(snapshot: LoadedSnapshot, removed: ReadonlySet<string>): SlimSnapshot {
  const document = snapshot.document as unknown as Record<string, unknown>;
  const order = Object.keys(document);
  const kept = Object.fromEntries(order.filter((k) => !removed.has(k)).map((k) => [k, document[k]]));
  return {
    path: snapshot.path,
    sha256: snapshot.sha256,
    document: kept as Partial<SnapshotDocument>,
    removed: order.filter((k) => removed.has(k)),
    order,
  };
}

/** A worker's error as the main thread throws it: bad input stays bad input, anything else is a bug. */
function rebuilt(error: { message: string; stack?: string; diagnostics?: unknown }): Error {
  if (Array.isArray(error.diagnostics)) return new TrailguardError(error.diagnostics);
  const internal = new InternalError(`in a --jobs worker: ${error.message}`);
  if (error.stack !== undefined) internal.stack = `${internal.stack}\nworker: ${error.stack}`;
  return internal;
}
