import type { Command } from "commander";
import { register as registerAudit } from "./audit.js";
import { register as registerBench } from "./bench.js";
import { register as registerBenchDriver } from "./bench-driver.js";
import { register as registerBenchEvents } from "./bench-events.js";
import { register as registerBenchFunctions } from "./bench-functions.js";
import { register as registerBenchGroups } from "./bench-groups.js";
import { register as registerBenchValidation } from "./bench-validation.js";
import { register as registerChaosCluster } from "./chaos-cluster.js";
import { register as registerCluster } from "./cluster.js";
import { register as registerBenchCluster } from "./bench-cluster.js";
import { register as registerCrds } from "./crds.js";
import { register as registerDeadLetters } from "./dead-letters.js";
import { register as registerDeploy } from "./deploy.js";
import { register as registerDispatch } from "./dispatch.js";
import { register as registerFunction } from "./function.js";
import { register as registerGateway } from "./gateway.js";
import { register as registerHostpath } from "./hostpath.js";
import { register as registerUp } from "./up.js";
import { register as registerWatch } from "./watch.js";

// One line per subcommand module; each exports `register(program)`.
const modules: Array<(program: Command) => void> = [registerCluster, registerBenchCluster, registerCrds, registerGateway, registerHostpath, registerAudit, registerWatch, registerDispatch, registerUp, registerBenchEvents, registerBenchDriver, registerFunction, registerBenchFunctions, registerBenchValidation, registerBench, registerDeploy, registerDeadLetters, registerBenchGroups, registerChaosCluster];

export function registerCommands(program: Command): void {
  for (const register of modules) register(program);
}
