// PLACEHOLDER (package A, infra): only so the stack synthesizes before package B's handler is merged.
// Package B owns functions/warehouse-bootstrap/**; the lead takes B's files over this one.
export const handler = async (): Promise<never> => {
  throw new Error('warehouse-bootstrap placeholder: package B provides the handler');
};
