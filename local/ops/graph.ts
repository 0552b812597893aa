// The execution graph: the state machine definition drawn with each state's outcome in one execution (succeeded /
// failed / caught / not entered / running), its duration and retries; Map states hold their ItemProcessor's states
// and show the items succeeded / failed / pending, with the failed items listed (input, error, cause). One
// self-contained HTML page: inline SVG and CSS, no network. By concern, in graph/:
//   definition.ts  the definition's transitions (Next, Choices, Default, Catch) and Map processors
//   analysis.ts    what happened in each state and map, from the history (pure data)
//   layout.ts      where each state goes (elkjs, layered; Map states compound nodes)
//   svg.ts         the drawing; page.ts  the HTML page around it
import { readDefinitionText, type Definition } from '../runner/asl.ts';
import { renderGraphHtml } from './graph/page.ts';
import { readExecution } from './status.ts';

export * from './graph/analysis.ts';
export { describeRule, type EdgeDef } from './graph/definition.ts';
export { layoutDefinition, type GraphLayout, type PlacedGraph, type PlacedNode } from './graph/layout.ts';
export { renderGraphHtml, type RenderOptions } from './graph/page.ts';
export { formatMs } from './graph/svg.ts';

/** The definition the local runner executes (statemachine/ingest.asl.json, placeholders left as they are). */
export function localDefinition(): Definition {
  return JSON.parse(readDefinitionText()) as Definition;
}

/**
 * The execution graph of one local execution (`latest`: the most recent) as a self-contained HTML page.
 * An unknown execution throws UnknownExecutionError naming it, the data dir and the latest executions.
 */
export async function renderExecutionGraph(o: { dataDir: string; execution: string }): Promise<string> {
  const { history, transform } = await readExecution(o.dataDir, o.execution);
  return renderGraphHtml(localDefinition(), history, {
    ...(transform ? { transform } : {}),
    definitionSource: 'statemachine/ingest.asl.json',
  });
}
