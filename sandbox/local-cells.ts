import { createAwsCell } from "../cells/aws/composition";
import { AWS_CELL_ENV, awsCellTableName } from "../cells/aws/config";
import { createAzureCell } from "../cells/azure/composition";
import { AZURE_CELL_ENV } from "../cells/azure/config";
import type { Logger } from "../cells/core";
import type { Cloud, SigningKey } from "../contract";
import { regionOf, type CellSpec } from "../topology";
import { closeInReverse } from "./close-in-reverse";
import { startCosmosEmulator } from "./emulators/cosmos";
import { startDynalite } from "./emulators/dynalite";
import { awsCellResponder } from "./hosts/aws-cell-host";
import { azureCellResponder } from "./hosts/azure-cell-host";
import { startHttpHost, type HttpHost } from "./hosts/http-host";

/**
 * One cell of the topology running on this machine: its own store emulator (its own failure domain),
 * the cloud's real composition root configured the way the deployed function is (through its
 * environment), and that function's platform stand-in served over HTTP on loopback.
 */
export interface LocalCell {
  readonly cellId: string;
  readonly cloud: Cloud;
  readonly region: string;
  /** The cell's compute: stop it to take the cell down (its store keeps running), start it to bring it back. */
  readonly host: HttpHost;
  readonly key: SigningKey;
  /** Stops the host, the composition's clients and the store emulator, in that order. */
  close(): Promise<void>;
}

/** What a local cell gets besides its spec. */
export interface LocalCellOptions {
  /** The key the cell verifies the router's signatures with. */
  readonly key: SigningKey;
  /** The cell's log. */
  readonly logger: Logger;
}

/** An AWS cell: dynalite + `createAwsCell` (the Lambda's composition root) behind an API Gateway stand-in. */
async function startAwsCell(spec: Extract<CellSpec, { cloud: "aws" }>, options: LocalCellOptions): Promise<LocalCell> {
  const store = await startDynalite(awsCellTableName(spec.cellId));
  const closers: Array<() => unknown> = [() => store.close()];
  try {
    const cell = createAwsCell(
      {
        [AWS_CELL_ENV.cellId]: spec.cellId,
        [AWS_CELL_ENV.tableName]: store.tableName,
        [AWS_CELL_ENV.signingKeyId]: options.key.keyId,
        [AWS_CELL_ENV.signingSecret]: options.key.secret,
        [AWS_CELL_ENV.dynamodbEndpoint]: store.endpoint,
        AWS_REGION: spec.region,
      },
      { logger: options.logger },
    );
    closers.push(() => cell.close());
    const host = await startHttpHost(awsCellResponder(cell.handler), { name: spec.cellId });
    closers.push(() => host.stop());
    return { cellId: spec.cellId, cloud: "aws", region: spec.region, host, key: options.key, close: () => closeInReverse(closers) };
  } catch (error) {
    await closeInReverse(closers);
    throw error;
  }
}

/** An Azure cell: cosmosdb-server + `createAzureCell` (the Function App's composition root) behind a Functions host stand-in. */
async function startAzureCell(spec: Extract<CellSpec, { cloud: "azure" }>, options: LocalCellOptions): Promise<LocalCell> {
  const store = await startCosmosEmulator();
  const closers: Array<() => unknown> = [() => store.close()];
  try {
    const cell = createAzureCell(
      {
        [AZURE_CELL_ENV.cellId]: spec.cellId,
        [AZURE_CELL_ENV.cosmosEndpoint]: store.endpoint,
        [AZURE_CELL_ENV.cosmosDatabase]: store.databaseId,
        [AZURE_CELL_ENV.cosmosContainer]: store.containerId,
        [AZURE_CELL_ENV.cosmosKey]: store.key,
        [AZURE_CELL_ENV.signingKeyId]: options.key.keyId,
        [AZURE_CELL_ENV.signingSecret]: options.key.secret,
      },
      { cosmosClientOptions: store.clientOptions, logger: options.logger },
    );
    closers.push(() => cell.dispose());
    const host = await startHttpHost(azureCellResponder(cell.handler), { name: spec.cellId });
    closers.push(() => host.stop());
    return { cellId: spec.cellId, cloud: "azure", region: regionOf(spec), host, key: options.key, close: () => closeInReverse(closers) };
  } catch (error) {
    await closeInReverse(closers);
    throw error;
  }
}

/** Starts one cell of the topology on loopback, whatever its cloud. */
export function startLocalCell(spec: CellSpec, options: LocalCellOptions): Promise<LocalCell> {
  return spec.cloud === "aws" ? startAwsCell(spec, options) : startAzureCell(spec, options);
}
