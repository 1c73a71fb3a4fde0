/** Reading what a server on a port says, for tests of tasks that serve (port mappings). */
import { connect } from "node:net";

/** What 127.0.0.1:`port` sends before closing, trimmed; retried until something answers, up to `ms` ("" then). */
export async function readFromPort(port: number, ms: number): Promise<string> {
  const deadline = Date.now() + ms;
  for (;;) {
    const got = await new Promise<string>((res) => {
      const sock = connect(port, "127.0.0.1");
      let data = "";
      sock.on("data", (d) => {
        data += d.toString();
      });
      sock.on("close", () => res(data));
      sock.on("error", () => res(""));
      sock.setTimeout(2_000, () => sock.destroy());
    });
    if (got) return got.trim();
    if (Date.now() > deadline) return "";
    await new Promise((r) => setTimeout(r, 200));
  }
}
