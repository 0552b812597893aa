// `wistia-pipeline graph` (being built).
import { EXIT, type Command } from './command.ts';

export const graphCommand: Command = {
  summary: 'graph (not built yet)',
  usage: 'wistia-pipeline graph',
  options: {},
  async run() {
    process.stderr.write('graph: not built yet\n');
    return EXIT.failed;
  },
};
