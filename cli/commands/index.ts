import type { Command } from "commander";
import { register as registerCrds } from "./crds.js";
import { register as registerGateway } from "./gateway.js";
import { register as registerHostpath } from "./hostpath.js";

// One line per subcommand module; each exports `register(program)`.
const modules: Array<(program: Command) => void> = [registerCrds, registerGateway, registerHostpath];

export function registerCommands(program: Command): void {
  for (const register of modules) register(program);
}
