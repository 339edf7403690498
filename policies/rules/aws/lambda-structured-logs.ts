import { block, type PolicyRule } from "../../engine";

/** System log levels that keep the platform's START, END and REPORT lines, which Lambda writes at INFO. */
const KEEPS_PLATFORM_LINES = ["INFO", "DEBUG", "TRACE"];

/**
 * Logs that CloudWatch can filter by level and field, and that still say how long each invocation
 * took: the JSON log format (the function's entries keep their structure and level) with a system
 * log level that keeps the platform's START/END/REPORT lines (duration, memory, cold-start init).
 * `WARN` or `ERROR` there drops them.
 */
export const lambdaStructuredLogs: PolicyRule = {
  id: "AWS-LMB-5",
  description: "Lambda functions log in the JSON format and keep the platform's START/REPORT lines (system_log_level INFO or lower).",
  resourceType: "aws_lambda_function",
  check(resource) {
    const logging = block(resource.logging_config);
    if (logging?.log_format !== "JSON") return `logging_config.log_format must be 'JSON', got '${String(logging?.log_format)}'`;
    const system = String(logging.system_log_level ?? "INFO").toUpperCase();
    if (!KEEPS_PLATFORM_LINES.includes(system)) return `logging_config.system_log_level must be INFO (or DEBUG), got '${system}': it drops the START/REPORT lines`;
    return undefined;
  },
};
