import { describeFailover } from "../support/failover-scenario";

/** The Azure cell (beta) goes down under load; T-FO-B fails over to its standby on AWS (alpha), through the same functions in-process. See support/failover-scenario.ts. */
describeFailover({ tenant: "T-FO-B", from: "beta", to: "alpha", bystander: "T-BY-A", viaCellctl: false });
