import type { Command } from "commander";
import { register as registerCrds } from "./crds.js";

// One line per subcommand module; each exports `register(program)`.
const modules: Array<(program: Command) => void> = [registerCrds];

export function registerCommands(program: Command): void {
  for (const register of modules) register(program);
}
