import { describe, expect, it } from "vitest";
import { bindFunction } from "../functions/bind/index.js";
import { protectFunction } from "../functions/protect/index.js";
import { dispatchTarget } from "./dispatch-target.js";

describe("dispatchTarget", () => {
  it("carries what the function declares about its events, and the caller's delivery settings", () => {
    expect(dispatchTarget(protectFunction, "http://h/protect", { concurrency: 8 })).toEqual({
      name: "protect",
      resources: ["volumesnapshots", "persistentvolumeclaims"],
      verbs: { persistentvolumeclaims: ["resynced"] },
      url: "http://h/protect",
      concurrency: 8,
    });
  });

  it("leaves the verb filter out for a function that takes every verb", () => {
    expect(dispatchTarget(bindFunction, "http://h/bind")).toEqual({ name: "bind", resources: ["volumesnapshots", "volumesnapshotcontents"], url: "http://h/bind" });
  });
});
