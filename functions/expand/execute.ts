// expand's executor: read the claim's PV, class and driver capabilities, plan, mark the resize,
// call ControllerExpandVolume through the gateway, then write what its answer means. A driver that
// expands on the node only gets upstream's trivial resizer: the plan holds every write and no call.
import type { PersistentVolume, PersistentVolumeClaim, StorageClass } from "../../shared/api/core.js";
import { RESOURCES } from "../../shared/api/resources.js";
import type { Outcome, ReconcileContext } from "../../shared/function/types.js";
import { GatewayError, type DriverCapabilities, type GatewayClient } from "../../shared/gateway/types.js";
import { outcomeOf, runSteps, writtenKey } from "../../shared/snapshot/run-steps.js";
import { attempt } from "../../shared/volume/csi.js";
import { afterExpand, claimClassName, mayHoldPreResizeMark, planExpand, resizeWanted, type ExpandState } from "./plan.js";

async function capabilitiesOf(gateway: GatewayClient, driver: string): Promise<DriverCapabilities | undefined> {
  try {
    return await gateway.capabilities(driver);
  } catch (err) {
    if (err instanceof GatewayError && err.code === "NOT_FOUND") return undefined;
    throw err;
  }
}

export async function executeExpand(ctx: ReconcileContext, clock: () => number = Date.now): Promise<Outcome> {
  const claim = ctx.object as PersistentVolumeClaim | undefined;
  if (!claim) return { kind: "nothing", why: "claim is gone" };
  let wanted = false;
  try {
    wanted = resizeWanted(claim) || mayHoldPreResizeMark(claim);
  } catch {
    wanted = true; // a malformed quantity: the plan reports it
  }
  if (!wanted) return { kind: "nothing", why: "no resize requested" };

  const state: ExpandState = { claim, nowMs: clock() };
  const volume = await ctx.kube.get<PersistentVolume>(RESOURCES.persistentvolumes, claim.spec.volumeName!);
  if (volume) state.volume = volume;
  const className = claimClassName(claim);
  const storageClass = className ? await ctx.kube.get<StorageClass>(RESOURCES.storageclasses, className) : undefined;
  if (storageClass) state.storageClass = storageClass;
  const capabilities = volume?.spec.csi ? await capabilitiesOf(ctx.gateway, volume.spec.csi.driver) : undefined;
  if (capabilities) state.capabilities = capabilities;

  const plan = planExpand(state);
  const first = await runSteps(ctx, plan.steps);
  if (!plan.call || !volume) return outcomeOf(plan, first.did);
  const call = plan.call;
  const result = await attempt(() => ctx.gateway.expandVolume(call.driver, call.request));
  const latest = (first.written.get(writtenKey("persistentvolumeclaims", claim.metadata.namespace, claim.metadata.name)) as PersistentVolumeClaim | undefined) ?? plan.claim ?? claim;
  const latestVolume = (first.written.get(writtenKey("persistentvolumes", undefined, volume.metadata.name)) as PersistentVolume | undefined) ?? plan.volume ?? volume;
  const follow = afterExpand(latest, latestVolume, call, result, clock());
  const second = await runSteps(ctx, follow.steps, first.written);
  return outcomeOf(follow, [...first.did, `called expandVolume on ${call.driver}`, ...second.did]);
}
