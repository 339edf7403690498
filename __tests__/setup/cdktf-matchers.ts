/**
 * Import from infra tests only (not a global setup file): it loads cdktf, which the runtime tests
 * do not need. Gives `toHaveResourceWithProperties` and friends, with their types.
 */
import { Testing } from "cdktf";
import "cdktf/lib/testing/adapters/jest";

Testing.setupJest();
