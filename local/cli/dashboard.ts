// `wistia-pipeline dashboard` (being built).
import { EXIT, type Command } from './command.ts';

export const dashboardCommand: Command = {
  summary: 'dashboard (not built yet)',
  usage: 'wistia-pipeline dashboard',
  options: {},
  async run() {
    process.stderr.write('dashboard: not built yet\n');
    return EXIT.failed;
  },
};
