import { Command } from 'commander';
import { auditCommand } from './audit-command.js';
import { benchCommand } from './bench-command.js';
import { startCommand, workerCommand } from './start-command.js';

const program = new Command('signalbox')
  .description('Signalbox: an event-sourced integration engine')
  .showHelpAfterError()
  .addCommand(startCommand())
  .addCommand(workerCommand())
  .addCommand(benchCommand())
  .addCommand(auditCommand());

try {
  await program.parseAsync(process.argv);
} catch (error) {
  process.stderr.write(`signalbox: ${(error as Error).message}\n`);
  process.exitCode = 1;
}
