import { describeStoreFaults } from "../support/store-faults";

/** The Azure cell (beta) under store faults, through the router; the other cloud's tenant (T-100) must not notice. See support/store-faults.ts. */
describeStoreFaults({ faulty: "beta", tenant: "T-200", bystander: "T-100" });
