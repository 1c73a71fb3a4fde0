/** The example's FrameworkInfo.user: a real account name even when $USER is unset (agents refuse unknown users). */
import { execFileSync } from "node:child_process";
import { afterEach, describe, expect, it } from "vitest";
import { currentUserName } from "../../examples/lib/current-user.ts";

const saved = { USER: process.env.USER, LOGNAME: process.env.LOGNAME };
afterEach(() => {
  for (const [k, v] of Object.entries(saved)) {
    if (v === undefined) delete process.env[k];
    else process.env[k] = v;
  }
});

describe("currentUserName", () => {
  it("takes $USER, else $LOGNAME, else the passwd name of our uid", () => {
    process.env.USER = "alice";
    expect(currentUserName()).toBe("alice");
    delete process.env.USER;
    process.env.LOGNAME = "bob";
    expect(currentUserName()).toBe("bob");
    delete process.env.LOGNAME;
    expect(currentUserName()).toBe(execFileSync("id", ["-un"]).toString().trim());
  });
});
