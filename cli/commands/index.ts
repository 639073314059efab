import type { Command } from "commander";

// One line per subcommand module; each exports `register(program)`.
const modules: Array<(program: Command) => void> = [];

export function registerCommands(program: Command): void {
  for (const register of modules) register(program);
}
