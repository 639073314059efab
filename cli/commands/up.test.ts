import { describe, expect, it } from "vitest";
import { FIXED_PORTS } from "../stack/stack.js";
import { PORTS } from "./up.js";

describe("snapflow up --help", () => {
  it("documents the ports the stack really uses", () => {
    expect(PORTS).toEqual(FIXED_PORTS);
  });
});
