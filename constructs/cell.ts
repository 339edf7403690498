import type { Cloud } from "../contract";

/**
 * What the rest of the system knows about a cell, whatever cloud it runs on. The edge stack takes
 * `ICell`s, never a concrete class; attributes that come from resources are Terraform tokens, which
 * CDKTF turns into cross-stack references when another stack uses them.
 */
export interface ICell {
  /** Stable id, e.g. `alpha`. Names the stack (`cell-alpha`), the registry entry and the key binding. */
  readonly cellId: string;
  readonly cloud: Cloud;
  /** The cloud region or location the cell runs in, e.g. `us-east-1`, `eastus`. */
  readonly region: string;
  /** HTTPS base URL of the cell's API, without a trailing slash (a token). */
  readonly endpointUrl: string;
  /** Id of the key the edge signs this cell's requests with, e.g. `alpha-v1`. */
  readonly signingKeyId: string;
  /**
   * The signing secret (a sensitive token). Only the edge stack reads it, to bind it to the Worker
   * as a secret; it is never a plain output.
   */
  readonly signingSecret: string;
}
