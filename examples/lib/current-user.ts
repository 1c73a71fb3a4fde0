/**
 * The name of the user running the example, for `FrameworkInfo.user` (agents run the tasks as
 * that user). `os.userInfo().username` is not enough: under Bun it answers "unknown" when
 * `$USER` is unset (as in containers and CI), and agents refuse a user they do not know.
 */
import { readFileSync } from "node:fs";
import { userInfo } from "node:os";

/** `$USER` / `$LOGNAME`, else the passwd entry of our uid, else what `os.userInfo()` says. */
export function currentUserName(): string {
  const fromEnv = process.env.USER || process.env.LOGNAME;
  if (fromEnv) return fromEnv;
  const uid = process.getuid?.();
  try {
    for (const line of readFileSync("/etc/passwd", "utf8").split("\n")) {
      const fields = line.split(":");
      if (fields.length > 2 && uid !== undefined && Number(fields[2]) === uid && fields[0]) return fields[0];
    }
  } catch {
    /* no /etc/passwd: fall through */
  }
  const name = userInfo().username;
  return name && name !== "unknown" ? name : "root";
}
