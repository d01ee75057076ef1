import type { z } from 'zod';
import type { OperatorSpec } from './operator.ts';

/** How a topic's records become engine records: the value's shape, and where its event time is. */
export interface SourceDecoding {
  /** Records that do not fit go to `<topic>.dlq` with zod's reason, and no further. */
  schema?: z.ZodType;
  /** A field of the value (ms, seconds or an ISO/`YYYY-MM-DD hh:mm:ss` text), a function, or the record's timestamp. */
  eventTime?: string | ((value: never) => number | undefined);
  /** What a number in the eventTime field counts (default 'auto': seconds below 1e11, else ms). */
  eventTimeUnit?: 'auto' | 'ms' | 's';
  /** Bounded out-of-orderness of this input (ms). */
  maxOutOfOrderMs?: number;
  /** An input partition silent this long stops holding the watermark back (ms). */
  idleTimeoutMs?: number;
  /** This input's watermark counts this much ahead of its event times (a feedback input: see StreamOptions). */
  watermarkDelayMs?: number;
  /** The watermark this input stands at before it delivered anything (default: none, -Infinity). */
  initialWatermark?: number;
  /**
   * The topic is read as a table (`t.table`): the latest value per key, for joins. Its event times hold no
   * watermark back: a table updated once a day held every window after the join until it went idle, and
   * again after each update.
   */
  table?: true;
}

/**
 * A task's idle timeout: the shortest of its stream inputs' (each 30 s unless set), so no input waits
 * longer than asked. Tables hold no watermark back, so their settings do not count.
 */
export function idleTimeoutOf(decodings: SourceDecoding[]): number {
  return Math.min(...streamInputs(decodings).map((d) => d.idleTimeoutMs ?? 30_000));
}

/** The inputs read as streams: what a task's watermark is made of (tables hold none back). */
export function streamInputs(decodings: SourceDecoding[]): SourceDecoding[] {
  return decodings.filter((d) => !d.table);
}

export type NodeKind =
  | { kind: 'source'; topic: string; decoding: SourceDecoding; repartition: boolean }
  | { kind: 'op'; spec: OperatorSpec }
  | { kind: 'sink'; topic: string; repartition: boolean; carryWatermark?: boolean };

export type Node = NodeKind & { id: number; children: number[] };

/** A piece of the dataflow that runs as one task per input partition; repartition topics separate them. */
export interface Subtopology {
  index: number;
  /** Nodes in an order where every parent comes before its children. */
  nodes: Node[];
  inputs: string[];
  outputs: string[];
  /**
   * Inputs written by other subtopologies with watermark markers: repartition topics, and topics a
   * `.to(topic, { carryWatermark: true })` of the same topology writes.
   */
  repartitionInputs: string[];
}

/** The dataflow graph a Topology builds; compiled into subtopologies. */
export class Graph {
  readonly nodes: Node[] = [];

  add(kind: NodeKind, parents: number[]): number {
    const id = this.nodes.length;
    this.nodes.push({ ...kind, id, children: [] } as Node);
    for (const p of parents) this.nodes[p]!.children.push(id);
    return id;
  }

  /** How the sources that feed node `id` (within its subtopology) are read. */
  sourcesOf(id: number): SourceDecoding[] {
    const parents = (c: number) => this.nodes.filter((n) => n.children.includes(c));
    const out: SourceDecoding[] = [];
    const seen = new Set<number>();
    const walk = (i: number) => {
      if (seen.has(i)) return;
      seen.add(i);
      const n = this.nodes[i]!;
      if (n.kind === 'source') out.push(n.decoding);
      for (const p of parents(i)) walk(p.id);
    };
    walk(id);
    return out;
  }

  /** Splits the graph where it crosses a repartition topic (a sink and a source are never linked by an edge). */
  compile(): Subtopology[] {
    const parent = this.nodes.map((_, i) => i);
    const find = (i: number): number => {
      while (parent[i] !== i) {
        parent[i] = parent[parent[i]!]!;
        i = parent[i]!;
      }
      return i;
    };
    for (const n of this.nodes) for (const c of n.children) parent[find(c)] = find(n.id);
    const groups = new Map<number, Node[]>();
    for (const n of this.nodes) {
      const root = find(n.id);
      const list = groups.get(root) ?? [];
      list.push(n);
      groups.set(root, list);
    }
    const carried = new Set(this.nodes.flatMap((n) => (n.kind === 'sink' && n.carryWatermark ? [n.topic] : [])));
    const subs: Subtopology[] = [];
    // Ordered by their first node, so upstream subtopologies come first (the drain relies on it).
    for (const nodes of [...groups.values()].sort((a, b) => a[0]!.id - b[0]!.id)) {
      const sources = nodes.filter((n) => n.kind === 'source');
      const sinks = nodes.filter((n) => n.kind === 'sink');
      if (sources.length === 0) continue;
      subs.push({
        index: subs.length,
        nodes: topoOrder(nodes),
        inputs: [...new Set(sources.map((n) => n.topic))],
        // With the side outputs steps declare: a process step's emitTo topics are this processor's too.
        outputs: [
          ...new Set([
            ...sinks.map((n) => n.topic),
            ...nodes.flatMap((n) => (n.kind === 'op' ? (n.spec.sideOutputs ?? []) : [])),
          ]),
        ],
        repartitionInputs: [
          ...new Set(sources.filter((n) => n.repartition || carried.has(n.topic)).map((n) => n.topic)),
        ],
      });
    }
    return subs;
  }
}

function topoOrder(nodes: Node[]): Node[] {
  const byId = new Map(nodes.map((n) => [n.id, n]));
  const indegree = new Map(nodes.map((n) => [n.id, 0]));
  for (const n of nodes) for (const c of n.children) indegree.set(c, (indegree.get(c) ?? 0) + 1);
  const ready = nodes.filter((n) => indegree.get(n.id) === 0);
  const out: Node[] = [];
  while (ready.length > 0) {
    const n = ready.shift()!;
    out.push(n);
    for (const c of n.children) {
      const d = indegree.get(c)! - 1;
      indegree.set(c, d);
      if (d === 0) ready.push(byId.get(c)!);
    }
  }
  return out;
}
