import { describeStoreFaults } from "../support/store-faults";

/** The AWS cell (alpha) under store faults, through the router; the other cloud's tenant (T-200) must not notice. See support/store-faults.ts. */
describeStoreFaults({ faulty: "alpha", tenant: "T-100", bystander: "T-200" });
