// `wistia-pipeline replay` (being built).
import { EXIT, type Command } from './command.ts';

export const replayCommand: Command = {
  summary: 'replay (not built yet)',
  usage: 'wistia-pipeline replay',
  options: {},
  async run() {
    process.stderr.write('replay: not built yet\n');
    return EXIT.failed;
  },
};
