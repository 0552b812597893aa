// `wistia-pipeline status` (being built).
import { EXIT, type Command } from './command.ts';

export const statusCommand: Command = {
  summary: 'status (not built yet)',
  usage: 'wistia-pipeline status',
  options: {},
  async run() {
    process.stderr.write('status: not built yet\n');
    return EXIT.failed;
  },
};
