// Where each state of a definition goes: elkjs's layered algorithm, top to bottom, a Map state a compound node
// holding its ItemProcessor's states (laid out inside it, below the Map's own text), the edges its transitions
// (Next, Choices, Default, Catch) routed orthogonally with room for their labels. The boxes' sizes come from the
// caller (the renderer knows its text); this module knows no history and writes no SVG.
import type { ELK, ElkExtendedEdge, ElkNode } from 'elkjs/lib/elk-api.js';
import type { Definition, State } from '../../runner/asl.ts';
import { edgesOf, processorOf, type EdgeDef } from './definition.ts';

export interface Size {
  readonly width: number;
  readonly height: number;
}
export interface Pt {
  readonly x: number;
  readonly y: number;
}

export interface PlacedNode {
  readonly name: string;
  /** Top-left corner, relative to the box that holds it (the drawing, or its Map state's box). */
  readonly x: number;
  readonly y: number;
  readonly width: number;
  readonly height: number;
  /** A Map state's ItemProcessor, in the Map's coordinates (below its header). */
  readonly inner: PlacedGraph | undefined;
}

export interface PlacedEdge {
  readonly edge: EdgeDef;
  /** From the source's border to the target's, in the coordinates of the box holding both. */
  readonly points: Pt[];
  /** Where the edge's label goes (top-left corner and size), if it was given one. */
  readonly label: (Pt & Size) | undefined;
}

export interface PlacedGraph {
  readonly nodes: PlacedNode[];
  readonly edges: PlacedEdge[];
}

export interface GraphLayout extends PlacedGraph {
  readonly width: number;
  readonly height: number;
}

export interface LayoutSizes {
  /** A state's box; for a Map state the header above its ItemProcessor's states (the box grows to hold them). */
  readonly node: (name: string, state: State, parent: string | null) => Size;
  /** An edge's label, to keep room for it (elkjs places a label only if it has a text); none: no label. */
  readonly label?: (edge: EdgeDef) => (Size & { readonly text: string }) | undefined;
}

/** The space inside a Map's box around its ItemProcessor's states, and around the whole drawing. */
export const INNER_PAD = 10;
export const MARGIN = 16;

let engine: Promise<ELK> | undefined;
/**
 * elkjs, loaded on the first layout: its bundle (1.6 MB of JavaScript) takes 150-250 ms to load, which every CLI
 * command importing this module (status, run, the dashboard) would otherwise pay. elk.bundled.js is CommonJS:
 * module.exports is the constructor (its typings call it the default export). It lays out in this thread.
 */
function elk(): Promise<ELK> {
  engine ??= import('elkjs/lib/elk.bundled.js').then((m) => new (m.default as unknown as new () => ELK)());
  return engine;
}

/** Options of every level (elkjs lays each compound node's children out on their own, with that node's options). */
const LEVEL: Record<string, string> = {
  'elk.algorithm': 'layered',
  'elk.direction': 'DOWN',
  'elk.edgeRouting': 'ORTHOGONAL',
  // The states in their order from StartAt (reverse postorder): the loops back are the edges against that order.
  'elk.layered.cycleBreaking.strategy': 'MODEL_ORDER',
  'elk.layered.considerModelOrder.strategy': 'NODES_AND_EDGES',
  'elk.layered.nodePlacement.strategy': 'NETWORK_SIMPLEX',
  'elk.spacing.nodeNode': '36',
  'elk.layered.spacing.nodeNodeBetweenLayers': '44',
  'elk.spacing.edgeNode': '16',
  'elk.spacing.edgeEdge': '10',
  'elk.layered.spacing.edgeNodeBetweenLayers': '16',
  'elk.layered.spacing.edgeEdgeBetweenLayers': '10',
  'elk.spacing.edgeLabel': '4',
  'elk.layered.mergeEdges': 'false',
};

/** The states in depth-first reverse postorder from StartAt (each forward edge points later), then any unreachable. */
export function stateOrder(def: Definition, edges: readonly EdgeDef[] = edgesOf(def.States)): string[] {
  const seen = new Set<string>();
  const post: string[] = [];
  const visit = (n: string) => {
    seen.add(n);
    for (const e of edges) if (e.from === n && !seen.has(e.to)) visit(e.to);
    post.push(n);
  };
  if (def.StartAt in def.States) visit(def.StartAt);
  const order = post.reverse();
  for (const n of Object.keys(def.States)) if (!seen.has(n)) order.push(n);
  return order;
}

interface Ids {
  next: number;
  readonly names: Map<string, string>;
  readonly edges: Map<string, EdgeDef>;
}

function level(
  def: Definition,
  parent: string | null,
  sizes: LayoutSizes,
  ids: Ids,
): Pick<ElkNode, 'children' | 'edges'> {
  const edges = edgesOf(def.States);
  const idOf = new Map<string, string>();
  const children = stateOrder(def, edges).map((name): ElkNode => {
    const s = def.States[name] as State;
    const id = `n${ids.next++}`;
    idOf.set(name, id);
    ids.names.set(id, name);
    const size = sizes.node(name, s, parent);
    const proc = processorOf(s);
    if (!proc) return { id, width: size.width, height: size.height };
    return {
      id,
      layoutOptions: {
        ...LEVEL,
        'elk.padding': `[top=${size.height},left=${INNER_PAD},bottom=${INNER_PAD},right=${INNER_PAD}]`,
        'elk.nodeSize.constraints': 'MINIMUM_SIZE',
        'elk.nodeSize.minimum': `(${size.width},${size.height + 2 * INNER_PAD})`,
        'elk.contentAlignment': 'H_CENTER V_TOP',
      },
      ...level(proc, name, sizes, ids),
    };
  });
  return {
    children,
    edges: edges.map((e): ElkExtendedEdge => {
      const id = `e${ids.next++}`;
      ids.edges.set(id, e);
      const label = sizes.label?.(e);
      return {
        id,
        sources: [idOf.get(e.from) as string],
        targets: [idOf.get(e.to) as string],
        ...(label ? { labels: [{ id: `${id}l`, text: label.text, width: label.width, height: label.height }] } : {}),
      };
    }),
  };
}

function placed(n: ElkNode, ids: Ids): PlacedGraph {
  return {
    nodes: (n.children ?? []).map((c) => ({
      name: ids.names.get(c.id) as string,
      x: c.x ?? 0,
      y: c.y ?? 0,
      width: c.width ?? 0,
      height: c.height ?? 0,
      inner: c.children?.length ? placed(c, ids) : undefined,
    })),
    edges: (n.edges ?? []).map((e) => {
      const s = e.sections?.[0];
      const l = e.labels?.[0];
      return {
        edge: ids.edges.get(e.id) as EdgeDef,
        points: s ? [s.startPoint, ...(s.bendPoints ?? []), s.endPoint] : [],
        label: l ? { x: l.x ?? 0, y: l.y ?? 0, width: l.width ?? 0, height: l.height ?? 0 } : undefined,
      };
    }),
  };
}

/** Lays a definition out: every state a box (its size from `sizes`), a Map state's ItemProcessor inside its box. */
export async function layoutDefinition(def: Definition, sizes: LayoutSizes): Promise<GraphLayout> {
  const ids: Ids = { next: 0, names: new Map(), edges: new Map() };
  const root: ElkNode = {
    id: 'root',
    layoutOptions: { ...LEVEL, 'elk.padding': `[top=${MARGIN},left=${MARGIN},bottom=${MARGIN},right=${MARGIN}]` },
    ...level(def, null, sizes, ids),
  };
  const out = await (await elk()).layout(root);
  return { width: out.width ?? 0, height: out.height ?? 0, ...placed(out, ids) };
}
