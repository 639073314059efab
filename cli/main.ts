// The one place that wires snapflow's parts together (DESIGN: "The CLI is the one place ...").
// Each subcommand lives in its own file under cli/commands/ and registers itself here.
import { Command } from "commander";
import { registerCommands } from "./commands/index.js";

const program = new Command("snapflow")
  .description("Kubernetes volume-snapshot control plane as an event-driven serverless pipeline")
  .showHelpAfterError();

await registerCommands(program, process.argv);

await program.parseAsync(process.argv);
