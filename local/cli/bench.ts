// `wistia-pipeline bench` (being built).
import { EXIT, type Command } from './command.ts';

export const benchCommand: Command = {
  summary: 'bench (not built yet)',
  usage: 'wistia-pipeline bench',
  options: {},
  async run() {
    process.stderr.write('bench: not built yet\n');
    return EXIT.failed;
  },
};
