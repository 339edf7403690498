import { AwsProvider } from "@cdktf/provider-aws/lib/provider";
import { RandomProvider } from "@cdktf/provider-random/lib/provider";
import { TerraformOutput, TerraformStack } from "cdktf";
import type { Construct } from "constructs";
import { AwsCell, type AwsCellProps } from "../constructs/aws-cell";
import { adminKeyOutput } from "./admin-key-output";
import { configureBackend, type BackendConfig } from "./backend";
import { requireTerraformVersion } from "./terraform-version";

export interface AwsCellStackProps {
  /** The cell this stack deploys. */
  readonly cell: AwsCellProps;
  /** Where the stack keeps its state; one state key per stack. */
  readonly backend: BackendConfig;
}

/**
 * One deployable AWS cell (`cdktf deploy cell-<cellId>`): its own provider configuration, state and
 * failure domain. Outputs the cell's non-secret handles and, as the sensitive output `admin-key`, the
 * operator's admin key; the signing secret leaves the stack only through `cell.signingSecret`, which
 * CDKTF turns into a sensitive cross-stack output when the edge stack reads it.
 */
export class AwsCellStack extends TerraformStack {
  readonly cell: AwsCell;

  constructor(scope: Construct, id: string, props: AwsCellStackProps) {
    super(scope, id);
    new AwsProvider(this, "aws", {
      region: props.cell.region,
      defaultTags: [{ tags: { "cells:cell-id": props.cell.cellId, "cells:cloud": "aws", "managed-by": "cdktf" } }],
    });
    new RandomProvider(this, "random");
    configureBackend(this, id, props.backend);
    requireTerraformVersion(this);

    this.cell = new AwsCell(this, "cell", props.cell);

    new TerraformOutput(this, "endpoint-url", { value: this.cell.endpointUrl, description: "Base URL of the cell's HTTP API" });
    new TerraformOutput(this, "table-name", { value: this.cell.table.name, description: "DynamoDB table holding the cell's records" });
    new TerraformOutput(this, "function-name", { value: this.cell.function.functionName, description: "Lambda function serving the cell's API" });
    if (this.cell.lake) {
      new TerraformOutput(this, "lake-bucket", { value: this.cell.lake.bucket.bucket, description: "S3 bucket the cell's change events land in (npm run report -- --lake s3://<bucket>)" });
      new TerraformOutput(this, "lake-failure-queue", { value: this.cell.lake.failureQueue.url, description: "SQS queue holding batches the lake consumer could not land" });
    }
    adminKeyOutput(this, this.cell);
  }
}
