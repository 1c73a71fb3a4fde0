/**
 * The framework id a scheduler SUBSCRIBE answer carries in its first record (SUBSCRIBED); the
 * stream is cancelled after it, the framework staying subscribed as its failover timeout allows.
 */
import { RecordIODecoder } from "../../sdk/src/recordio.ts";

/** Reads `res`'s first RecordIO record (SUBSCRIBED) and returns its framework id. */
export async function subscribedFrameworkId(res: Response): Promise<string> {
  const reader = res.body!.getReader();
  const decoder = new RecordIODecoder();
  for (;;) {
    const { value } = await reader.read();
    const [first] = decoder.feed(value!);
    if (first) {
      await reader.cancel();
      return (JSON.parse(first) as { subscribed: { framework_id: { value: string } } }).subscribed.framework_id.value;
    }
  }
}
