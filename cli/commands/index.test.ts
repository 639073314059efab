import { readdirSync } from "node:fs";
import { Command } from "commander";
import { describe, expect, it } from "vitest";
import { commandNames, registerCommands } from "./index.js";

describe("lazy subcommand registration", () => {
  it("maps every subcommand the modules register, and every module in cli/commands", async () => {
    const program = new Command("snapflow");
    await registerCommands(program, ["node", "snapflow"]);
    const registered = program.commands.map((c) => c.name()).sort();
    expect(registered).toEqual([...commandNames].sort());
    const files = readdirSync(new URL(".", import.meta.url))
      .filter((f) => f.endsWith(".ts") && !f.endsWith(".test.ts") && f !== "index.ts")
      .map((f) => f.replace(/\.ts$/, ""));
    for (const file of files) expect(commandNames, `cli/commands/${file}.ts has no entry`).toContain(file);
  }, 120_000);

  it("loads only the module of the command being run", async () => {
    const program = new Command("snapflow");
    await registerCommands(program, ["node", "snapflow", "crds", "render"]);
    expect(program.commands.map((c) => c.name())).toEqual(["crds"]);
  });
});
