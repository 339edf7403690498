import "./setup/cdktf-matchers";
import { AwsProvider } from "@cdktf/provider-aws/lib/provider";
import { RandomProvider } from "@cdktf/provider-random/lib/provider";
import { TerraformOutput, TerraformStack, Testing } from "cdktf";
import { createHash } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { AWS_CELL_BUNDLE, sourceCodeHashOf } from "../constructs/aws-cell";
import * as bundling from "../constructs/bundling";
import { AwsCellStack } from "../stacks/aws-cell-stack";
import { awsCellProps, refTo, single, synthAwsCellStack } from "./support/aws-cell";
import { forSnapshot } from "./support/synth";

const alpha = synthAwsCellStack();

describe("AwsCellStack", () => {
  test("snapshot", () => {
    expect(forSnapshot(alpha.synth)).toMatchSnapshot();
  });

  test("synthesizes the same JSON every time, with no absolute paths or timestamps", () => {
    expect(synthAwsCellStack().synth).toBe(alpha.synth);
    for (const text of [alpha.synth, JSON.stringify(forSnapshot(alpha.synth))]) {
      expect(text).not.toContain(bundling.PROJECT_ROOT);
      expect(text).not.toContain(tmpdir());
      expect(text).not.toMatch(/\/work\/|\/tmp\/|\/home\/|[A-Z]:\\\\/);
      expect(text).not.toMatch(/\d{4}-\d{2}-\d{2}T\d{2}:\d{2}/);
    }
  });

  test("the table, the secrets and their passwords keep their Terraform addresses (a rename would destroy data or rotate a key)", () => {
    expect(Object.keys(alpha.json.resource.aws_dynamodb_table)).toEqual(["cell_records_5EC8D99A"]);
    expect(Object.keys(alpha.json.resource.aws_secretsmanager_secret).sort()).toEqual(["cell_admin-secret_5FE5F38B", "cell_signing-secret_ADF96AAF"]);
    expect(Object.keys(alpha.json.resource.random_password).sort()).toEqual(["cell_admin-key_667760CB", "cell_signing-key_4F8186F6"]);
  });

  test("a second cell gets its own names, in its own stack", () => {
    const beta = synthAwsCellStack({ cellId: "beta", region: "us-east-1" });
    expect(single(beta.json, "aws_dynamodb_table").config.name).toBe("cells-beta-records");
    expect(single(beta.json, "aws_lambda_function").config.function_name).toBe("cells-beta-api");
    expect(beta.json.provider.aws[0].region).toBe("us-east-1");
  });

  test("declares the AWS provider in the cell's region with default tags, and the random provider", () => {
    expect(alpha.synth).toHaveProviderWithProperties(AwsProvider, {
      region: "eu-west-1",
      default_tags: [{ tags: { "cells:cell-id": "alpha", "cells:cloud": "aws", "managed-by": "cdktf" } }],
    });
    expect(alpha.synth).toHaveProvider(RandomProvider);
  });

  test("outputs the endpoint URL, table name and function name, none of them secret", () => {
    const { resource } = alpha.json;
    const [api] = Object.keys(resource.aws_apigatewayv2_api);
    const [table] = Object.keys(resource.aws_dynamodb_table);
    const [fn] = Object.keys(resource.aws_lambda_function);
    const { "admin-key": _admin, ...plain } = alpha.json.output;
    expect(Object.fromEntries(Object.entries(plain).map(([k, v]: [string, any]) => [k, v.value]))).toEqual({
      "endpoint-url": `\${aws_apigatewayv2_api.${api}.api_endpoint}`,
      "table-name": `\${aws_dynamodb_table.${table}.name}`,
      "function-name": `\${aws_lambda_function.${fn}.function_name}`,
    });
    expect(JSON.stringify(plain)).not.toMatch(/random_password|secret_string|secretsmanager/);
    for (const output of Object.values<any>(plain)) expect(output.sensitive).toBeUndefined();
  });

  test("outputs the admin key for the operator as one sensitive output {keyId, secret}", () => {
    expect(alpha.json.output["admin-key"]).toEqual({
      value: { keyId: "alpha-admin-v1", secret: refTo(alpha.json, "random_password", "admin-key", "result") },
      sensitive: true,
      description: expect.stringMatching(/admin key .*router never holds it/),
    });
    expect(synthAwsCellStack({ adminKeyVersion: 2 }).json.output["admin-key"].value.keyId).toBe("alpha-admin-v2");
  });

  test("another stack reading the signing secret gets it through a sensitive cross-stack output", () => {
    const app = Testing.app();
    try {
      const producer = new AwsCellStack(app, "cell-alpha", { cell: awsCellProps(), backend: { kind: "local" } });
      const consumer = new TerraformStack(app, "edge");
      new RandomProvider(consumer, "random");
      new TerraformOutput(consumer, "probe", { value: producer.cell.signingSecret, sensitive: true });
      app.synth(); // cross-stack references are wired while the app prepares its stacks
      const synthesized = JSON.parse(readFileSync(path.join(app.outdir, "stacks", "cell-alpha", "cdk.tf.json"), "utf8"));
      const outputs = Object.values(synthesized.output) as Array<{ value: string; sensitive?: boolean }>;
      const secretOutputs = outputs.filter((o) => JSON.stringify(o.value).includes("random_password"));
      expect(secretOutputs).toHaveLength(2); // the cross-stack signing secret and the operator's admin key
      expect(secretOutputs.every((o) => o.sensitive === true)).toBe(true);
    } finally {
      rmSync(app.outdir, { recursive: true, force: true });
    }
  });
});

describe("AwsCellStack function code", () => {
  test("source_code_hash is the base64 SHA-256 of the Lambda bundle, and the asset path carries it", () => {
    const built = bundling.bundle(AWS_CELL_BUNDLE);
    const fn = single(alpha.json, "aws_lambda_function").config;
    expect(alpha.stack.cell.code.hash).toBe(built.hash);
    expect(fn.source_code_hash).toBe(Buffer.from(built.hash, "hex").toString("base64"));
    expect(fn.filename).toMatch(new RegExp(`^assets/[^/]+/${built.hash}/${built.hash.slice(0, 16)}\\.zip$`));
  });

  test("source_code_hash and the asset path change when the bundle changes", () => {
    const dir = mkdtempSync(path.join(tmpdir(), "aws-cell-bundle-"));
    const spy = jest.spyOn(bundling, "bundle");
    try {
      const synthWith = (code: string) => {
        writeFileSync(path.join(dir, "index.js"), code);
        writeFileSync(path.join(dir, "package.zip"), `zip of ${code}`);
        const hash = createHash("sha256").update(code).digest("hex");
        spy.mockReturnValue({ dir, file: path.join(dir, "index.js"), hash, bytes: code.length, zipFile: path.join(dir, "package.zip"), fromCache: false });
        return single(synthAwsCellStack().json, "aws_lambda_function").config;
      };
      const v1 = synthWith("exports.handler = async () => 1;");
      const v2 = synthWith("exports.handler = async () => 2;");
      expect(spy).toHaveBeenCalledWith(AWS_CELL_BUNDLE);
      expect(v1.source_code_hash).toBe(sourceCodeHashOf({ hash: createHash("sha256").update("exports.handler = async () => 1;").digest("hex") }));
      expect(v2.source_code_hash).not.toBe(v1.source_code_hash);
      expect(v2.filename).not.toBe(v1.filename);
      expect(JSON.stringify([v1, v2])).not.toContain(dir);
    } finally {
      spy.mockRestore();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test("bundles cells/aws/lambda.ts as CommonJS for Node with the AWS SDK left to the runtime", () => {
    expect(AWS_CELL_BUNDLE).toEqual({
      name: "aws-cell-lambda",
      entry: "cells/aws/lambda.ts",
      platform: "node",
      format: "cjs",
      outFile: "index.js",
      external: ["@aws-sdk/*"],
      archive: true,
    });
    expect(single(alpha.json, "aws_lambda_function").config.handler).toBe("index.handler");
  });
});

describe("AwsCellStack backend", () => {
  test("is local by default, with a relative state path per stack", () => {
    const local = alpha.json.terraform.backend.local;
    expect(local.path).toBe("../../../terraform.cell-alpha.tfstate");
    expect(path.isAbsolute(local.path)).toBe(false);
  });

  test("is S3 with a native lock file and one key per stack when configured", () => {
    const s3 = { kind: "s3", bucket: "cells-state", region: "eu-west-1", keyPrefix: "prod" } as const;
    const a = synthAwsCellStack({}, s3).json.terraform.backend;
    const b = synthAwsCellStack({ cellId: "beta" }, s3).json.terraform.backend;
    expect(a.local).toBeUndefined();
    expect(a.s3).toMatchObject({ bucket: "cells-state", region: "eu-west-1", key: "prod/cell-alpha.tfstate", encrypt: true, use_lockfile: true });
    expect(b.s3.key).toBe("prod/cell-beta.tfstate");
    expect(a.s3.dynamodb_table).toBeUndefined();
  });
});
