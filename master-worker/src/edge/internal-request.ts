/** The message the Worker forwards to the `ClusterMaster` object (a POST to one of its internal paths). */

/** What the Worker sends the object: a validated message plus who sent it. */
export interface InternalRequest {
  origin: string;
  principal?: string;
  streamId?: string | null;
  body: unknown;
}
