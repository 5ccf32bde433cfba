import { Command } from 'commander';
import { apiCommand } from './api-command.js';
import { auditCommand } from './audit-command.js';
import { withAuditLog } from './audit-log-command.js';
import { benchCommand } from './bench-command.js';
import { bindingsCommand } from './bindings-command.js';
import { queryCommands } from './query-commands.js';
import { rebuildCommand } from './rebuild-command.js';
import { replayCommand } from './replay-command.js';
import { secretsCommand } from './secrets-command.js';
import { startCommand, workerCommand } from './start-command.js';
import { tokensCommand } from './tokens-command.js';

const program = new Command('signalbox')
  .description('Signalbox: an event-sourced integration engine')
  .showHelpAfterError()
  .addCommand(startCommand())
  .addCommand(workerCommand())
  .addCommand(benchCommand())
  .addCommand(rebuildCommand())
  .addCommand(replayCommand());
for (const command of queryCommands()) program.addCommand(command);
program.addCommand(withAuditLog(auditCommand()));
program.addCommand(apiCommand());
program.addCommand(tokensCommand());
program.addCommand(secretsCommand());
program.addCommand(bindingsCommand());

try {
  await program.parseAsync(process.argv);
} catch (error) {
  process.stderr.write(`signalbox: ${(error as Error).message}\n`);
  process.exitCode = 1;
}
