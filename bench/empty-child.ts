/**
 * The baseline for TypeScript children: `node --import tsx bench/empty-child.ts` does nothing but
 * start (node plus tsx's loader) and report its peak RSS. Subtract it from a synth child's wall time
 * and RSS to see what the synth itself costs.
 */
import { emitResult } from "./child";

emitResult({});
