import { describeFailover } from "../support/failover-scenario";

/** The AWS cell (alpha) goes down under load; T-FO-A fails over to its standby on Azure (beta), all through `cellctl`. See support/failover-scenario.ts. */
describeFailover({ tenant: "T-FO-A", from: "alpha", to: "beta", bystander: "T-BY-B", viaCellctl: true });
