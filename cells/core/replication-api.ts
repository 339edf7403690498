import { parseReplicationPush } from "../../contract";
import { jsonAnswer, type Answer } from "./answer";
import { ValidationError } from "./errors";
import { parseJsonObject } from "./json-body";
import type { ReplicaService } from "./replica-service";
import type { CellRequest } from "./request";

/**
 * The replication route (`POST /replication/tenants/{t}/changes`), signed with the tenant's link key:
 * a primary's replication consumer hands its standby changes and sweeps. A refusal names this cell's
 * ownership (`ownership_state` with `current`), so an old primary learns that a failover superseded it.
 */
export function replicationApi(replicas: ReplicaService) {
  return async function handleReplication(tenantId: string, req: CellRequest): Promise<Answer> {
    const push = parseReplicationPush(parseJsonObject(req.body, 40));
    if (!push.ok) throw new ValidationError(push.error);
    return jsonAnswer(200, await replicas.apply(tenantId, push.value));
  };
}
