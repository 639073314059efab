import { describe, expect, it } from "vitest";
import { allFunctions } from "../functions.js";
import { functionTargets } from "./dispatch.js";

describe("snapflow dispatch: function targets", () => {
  const [first] = allFunctions;

  it("puts every function at BASE/<name> with its own resources", () => {
    const targets = functionTargets({ functionsUrl: "http://fn.example:8080/", function: [], concurrency: 4 });
    expect(targets.map((t) => t.name)).toEqual(allFunctions.map((f) => f.name));
    expect(targets[0]).toEqual({ name: first!.name, url: `http://fn.example:8080/${first!.name}`, resources: first!.resources, concurrency: 4 });
  });

  it("takes NAME=URL overrides", () => {
    const [target] = functionTargets({ function: [`${first!.name}=http://127.0.0.1:9000/`], concurrency: 1 });
    expect(target).toMatchObject({ name: first!.name, url: "http://127.0.0.1:9000/" });
  });

  it("refuses unknown functions, malformed pairs and an empty set with clear errors", () => {
    expect(() => functionTargets({ function: ["nosuch=http://x/"], concurrency: 1 })).toThrow(/unknown function "nosuch"/);
    expect(() => functionTargets({ function: ["no-equals-sign"], concurrency: 1 })).toThrow(/NAME=URL/);
    expect(() => functionTargets({ function: [], concurrency: 1 })).toThrow(/no functions/);
  });
});
